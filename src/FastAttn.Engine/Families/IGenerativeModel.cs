using FastAttn.Engine.Generation;

namespace FastAttn.Engine.Families;

/// <summary>
/// A loaded model of any family, behind one interface: its defaults and sizes, what it generates, where its shipped
/// plans are, and how a <see cref="GenerationRequest"/> becomes a <see cref="PreparedGeneration"/>. Thread-safe: several
/// prepared generations may run at once. Disposing frees the model's weights.
/// </summary>
public interface IGenerativeModel : IDisposable
{
    /// <summary>The family's name (<see cref="IModelFamily.Name"/>).</summary>
    string Family { get; }

    /// <summary>Where the model was loaded from.</summary>
    string Source { get; }

    /// <summary>The denoiser's fingerprint (SHA-256 of its weights), which plan keys carry.</summary>
    string Fingerprint { get; }

    /// <summary>Images or clips.</summary>
    OutputKind Output { get; }

    /// <summary>Class label or text.</summary>
    ConditioningKind Conditioning { get; }

    /// <summary>Defaults for unset request fields, and the native sizes.</summary>
    ModelDefaults Defaults { get; }

    /// <summary>Folders of plans shipped with the model (looked up after the user's plan folder).</summary>
    IReadOnlyList<string> PlanFolders { get; }

    /// <summary>
    /// Checks <paramref name="request"/> against the model and fills in its defaults; a request the model cannot serve is
    /// a <see cref="GenerationRequestException"/> naming the field. Cheap: nothing is generated yet.
    /// </summary>
    PreparedGeneration Prepare(GenerationRequest request);
}
