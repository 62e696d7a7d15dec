using System.Drawing;
using FastAttn.Engine.Families;
using FastAttn.Engine.Generation;
using FastAttn.Engine.Sampling;

namespace FastAttn.Plugin.Tests.Support;

/// <summary>
/// A toy fourth model family, defined only here: "gradient" models draw a colour gradient chosen by the seed (and the
/// prompt's length), images or clips. Nothing in the Engine, plugin or cluster knows it: it is registered with
/// <c>AddFastAttnModelFamily</c>. Its plans are real <see cref="Engine.Compression.CompressionPlan"/>s, searched in no time;
/// a <see cref="GenerationGate"/> (optional) holds each generation until the test releases it. With <c>batching</c>, its
/// generations have a batch key and a batched run holds the gate once; every run records its members (<see cref="Runs"/>).
/// </summary>
public sealed class GradientFamily(string name = "gradient", OutputKind output = OutputKind.Image, GenerationGate? gate = null,
    bool batching = false) : IModelFamily
{
    private readonly System.Collections.Concurrent.ConcurrentQueue<string[]> _runs = new();
    private int _searches;

    /// <summary>Whether generations have a batch key.</summary>
    public bool Batching => batching;

    /// <summary>Estimated bytes per item a generation reports.</summary>
    public long ItemBytes { get; init; }

    /// <summary>Each run of the device so far: the subjects (prompts) of its members, in order.</summary>
    public IReadOnlyList<string[]> Runs => _runs.ToArray();

    /// <summary>The cost model the engine gave the loaded models (null: none registered).</summary>
    public Engine.Attention.Costs.IAttentionCostModel? CostModel { get; private set; }

    /// <summary>Plans searched by models of this family.</summary>
    public int Searches => Volatile.Read(ref _searches);

    /// <summary>The gate generations pass (null: none).</summary>
    public GenerationGate? Gate => gate;

    /// <inheritdoc />
    public string Name => name;

    /// <inheritdoc />
    public string Expects => $"the name '{name}' (a toy model)";

    /// <inheritdoc />
    public bool CanLoad(string path) => string.Equals(path, name, StringComparison.OrdinalIgnoreCase);

    /// <inheritdoc />
    public IGenerativeModel Load(string path, ModelLoadSettings settings)
    {
        ArgumentNullException.ThrowIfNull(settings);
        if (!CanLoad(path)) throw new ArgumentException($"'{path}' is not a {name} model.", nameof(path));
        CostModel = settings.CostModel;
        return new GradientModel(this, path, output, settings);
    }

    internal void Searched() => Interlocked.Increment(ref _searches);

    internal void Ran(string[] subjects) => _runs.Enqueue(subjects);
}

/// <summary>A loaded gradient model: 16x16 (images) or 24x16 clips of 3 frames, 4 ddim steps, no guidance.</summary>
internal sealed class GradientModel(GradientFamily family, string source, OutputKind output, ModelLoadSettings settings) : IGenerativeModel
{
    public GradientFamily Owner => family;

    public string Family => family.Name;

    public string Source => source;

    public string Fingerprint => "94ad1e47" + family.Name;

    public OutputKind Output => output;

    public ConditioningKind Conditioning => ConditioningKind.Text;

    public ModelDefaults Defaults { get; } = new()
    {
        Steps = settings.Steps ?? 4,
        Scheduler = SchedulerRegistry.Get(settings.Sampler ?? "ddim"),
        GuidanceScale = settings.GuidanceScale ?? 1,
        NativeSize = output == OutputKind.Image ? new Size(16, 16) : new Size(24, 16),
        Sizes = output == OutputKind.Image ? [new Size(16, 16), new Size(32, 32)] : [new Size(24, 16)],
        Frames = output == OutputKind.Video ? 3 : null,
        Fps = output == OutputKind.Video ? 6 : null,
    };

    public IReadOnlyList<string> PlanFolders => [];

    public PreparedGeneration Prepare(GenerationRequest request)
    {
        GenerationChecks.Common(request);
        if (string.IsNullOrWhiteSpace(request.Prompt)) throw new GenerationRequestException("The prompt is empty: describe the gradient.", "prompt");
        int w = request.Width ?? request.Height ?? Defaults.NativeSize.Width, h = request.Height ?? request.Width ?? Defaults.NativeSize.Height;
        if (!Defaults.Sizes.Contains(new Size(w, h)))
            throw new GenerationRequestException($"The model cannot draw {w}x{h}. Supported sizes: {Defaults.SizeList}.", "size");
        var video = request as VideoRequest;
        int steps = request.Steps ?? Defaults.Steps;
        var scheduler = request.Sampler ?? Defaults.Scheduler.Name;
        double guidance = request.GuidanceScale ?? Defaults.GuidanceScale;
        return new GradientGeneration(this)
        {
            Request = request,
            Subject = request.Prompt.Trim(),
            Width = w,
            Height = h,
            Steps = steps,
            Scheduler = scheduler,
            GuidanceScale = guidance,
            Frames = output == OutputKind.Video ? video?.Frames ?? Defaults.Frames : null,
            Fps = output == OutputKind.Video ? video?.Fps ?? Defaults.Fps : null,
            Settings = GenerationChecks.Describe($"{w}x{h}", steps, scheduler, guidance),
        };
    }

    public void Dispose() { }
}
