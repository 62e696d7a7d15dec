namespace FastAttn.Engine.Training;

/// <summary>Progress of a training run.</summary>
/// <param name="Step">Steps done.</param>
/// <param name="TotalSteps">Steps to reach.</param>
/// <param name="Loss">Mean loss over the last reporting window.</param>
/// <param name="Elapsed">Time since this run started.</param>
public sealed record TrainingProgress(int Step, int TotalSteps, double Loss, TimeSpan Elapsed);
