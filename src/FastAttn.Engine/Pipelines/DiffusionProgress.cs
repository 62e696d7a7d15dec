namespace FastAttn.Engine.Pipelines;

/// <summary>Progress of a running generation, reported after each denoising step.</summary>
/// <param name="Step">Steps completed (1-based).</param>
/// <param name="TotalSteps">Total denoising steps.</param>
/// <param name="Timestep">Model timestep of the step just completed.</param>
/// <param name="Elapsed">Time since the generation started.</param>
public sealed record DiffusionProgress(int Step, int TotalSteps, long Timestep, TimeSpan Elapsed);
