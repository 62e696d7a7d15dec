using FastAttn.Engine.Models.DiT;

namespace FastAttn.Engine.Checkpoints;

/// <summary>What <see cref="DiTCheckpoint.Inspect"/> found in a checkpoint.</summary>
/// <param name="Path">The weights file read.</param>
/// <param name="Format">Its layout.</param>
/// <param name="Config">The architecture (given, read or inferred).</param>
/// <param name="ConfigSource">Where the architecture came from.</param>
/// <param name="ParameterCount">Number of scalar parameters (excluding the fixed position table).</param>
/// <param name="StoredDTypes">The dtypes stored in the file, e.g. "F32".</param>
/// <param name="KeyCheckError">Null when the keys and shapes match the architecture exactly, else the mismatch report.</param>
public sealed record DiTCheckpointInfo(
    string Path,
    DiTCheckpointFormat Format,
    DiTConfig Config,
    string ConfigSource,
    long ParameterCount,
    IReadOnlyList<string> StoredDTypes,
    string? KeyCheckError);
