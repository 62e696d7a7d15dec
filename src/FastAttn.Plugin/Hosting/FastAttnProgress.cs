namespace FastAttn.Plugin.Hosting;

/// <summary>
/// Progress of one generation: denoising step <paramref name="Step"/> of <paramref name="TotalSteps"/> done. A job batched
/// with others reports the batch's steps. Reported on the worker's thread, in order, as each step ends.
/// </summary>
/// <param name="Step">Steps done (1 after the first).</param>
/// <param name="TotalSteps">Steps of the run.</param>
public sealed record FastAttnProgress(int Step, int TotalSteps);
