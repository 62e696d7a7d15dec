using FastAttn.Engine.Attention.Costs;
using FastAttn.Engine.Generation;

namespace FastAttn.Engine.Families;

/// <summary>
/// The part of an <see cref="IGenerativeModel"/> every family shares: its identity, output and conditioning kinds, defaults
/// and shipped plan folder (a <c>plans</c> folder inside the model folder). A family's model derives from it and adds
/// its pipeline, <see cref="Prepare"/> and <see cref="Dispose(bool)"/>.
/// </summary>
public abstract class GenerativeModel : IGenerativeModel
{
    /// <summary>Sets the shared parts; <paramref name="planFolder"/> defaults to <c>source/plans</c> when that exists.</summary>
    protected GenerativeModel(string family, string source, string fingerprint, OutputKind output, ConditioningKind conditioning,
        ModelDefaults defaults, string? planFolder = null)
    {
        Family = family ?? throw new ArgumentNullException(nameof(family));
        Source = source ?? throw new ArgumentNullException(nameof(source));
        Fingerprint = fingerprint ?? throw new ArgumentNullException(nameof(fingerprint));
        Output = output;
        Conditioning = conditioning;
        Defaults = defaults ?? throw new ArgumentNullException(nameof(defaults));
        planFolder ??= Path.Combine(source, "plans");
        PlanFolders = Directory.Exists(planFolder) ? [planFolder] : [];
    }

    /// <inheritdoc />
    public string Family { get; }

    /// <inheritdoc />
    public string Source { get; }

    /// <inheritdoc />
    public string Fingerprint { get; }

    /// <inheritdoc />
    public OutputKind Output { get; }

    /// <inheritdoc />
    public ConditioningKind Conditioning { get; }

    /// <inheritdoc />
    public ModelDefaults Defaults { get; }

    /// <inheritdoc />
    public IReadOnlyList<string> PlanFolders { get; }

    /// <summary>The attention cost model of the device the model runs on (<see cref="ModelLoadSettings.CostModel"/>), or null.</summary>
    public IAttentionCostModel? CostModel { get; protected init; }

    /// <summary>Most items in one forward pass (<see cref="ModelLoadSettings.MaxItemsPerForward"/>; 0: no cap).</summary>
    public int MaxItemsPerForward
    {
        get;
        protected init => field = value >= 0 ? value
            : throw new ArgumentOutOfRangeException(nameof(value), $"MaxItemsPerForward must be 0 (no cap) or more; got {value}.");
    } = 16;

    /// <inheritdoc />
    public abstract PreparedGeneration Prepare(GenerationRequest request);

    /// <summary>Frees the model's weights.</summary>
    protected abstract void Dispose(bool disposing);

    /// <inheritdoc />
    public void Dispose()
    {
        Dispose(true);
        GC.SuppressFinalize(this);
    }
}
