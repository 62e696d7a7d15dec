namespace FastAttn.Engine.Compression;

/// <summary>Progress of a plan search, reported after each layer of each step.</summary>
/// <param name="Step">Current step (0-based).</param>
/// <param name="TotalSteps">Steps in the plan.</param>
/// <param name="Layer">Layer just decided (0-based), or −1 at the start of a step.</param>
/// <param name="Layers">Layers per step.</param>
/// <param name="ForwardEquivalents">Work done so far, in full-forward equivalents.</param>
public sealed record PlanSearchProgress(int Step, int TotalSteps, int Layer, int Layers, double ForwardEquivalents);
