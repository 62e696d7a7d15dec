using System.Globalization;
using FastAttn.Engine.Compression;
using FastAttn.Engine.Imaging;
using FastAttn.Engine.Pipelines;
using FastAttn.Plugin.Options;
using static TorchSharp.torch;
using Size = System.Drawing.Size;

namespace FastAttn.Plugin.Hosting;

/// <summary>
/// An Open-Sora v1.1 text-to-video folder as served: a prompt becomes an animated GIF (16 frames at 240p by default),
/// plans compress the spatial attention and are searched on the shipped video prompts.
/// </summary>
internal sealed class ServedOpenSora : ServedModel
{
    private ServedOpenSora(OpenSoraPipeline pipeline) => Pipeline = pipeline;

    /// <summary>The pipeline.</summary>
    public OpenSoraPipeline Pipeline { get; }

    /// <summary>Wraps <paramref name="pipeline"/> (loaded from <paramref name="path"/>).</summary>
    public static ServedOpenSora Create(string name, string path, OpenSoraPipeline pipeline, FastAttnModelOptions? options)
    {
        var shipped = Path.Combine(path, "plans");
        var sizes = options is { Resolutions.Count: > 0 } ? options.Resolutions.Distinct().Order().Select(s => new Size(s, s)).ToArray() : [new Size(426, 240)];
        return new ServedOpenSora(pipeline)
        {
            Name = name,
            Fingerprint = ModelFingerprint.Of(pipeline.Transformer),
            Sizes = sizes,
            NativeSize = new Size(426, 240),
            Steps = options?.Steps ?? 100,
            Scheduler = Engine.Sampling.SchedulerRegistry.Get(options?.Scheduler ?? "iddpm"),
            GuidanceScale = options?.GuidanceScale ?? 7.0,
            ShippedPlans = Directory.Exists(shipped) ? [shipped] : [],
        };
    }

    /// <inheritdoc />
    public override ServedGeneration Prepare(FastAttnImageRequest request, int steps, double guidance, long seed, bool allowResize) =>
        throw new FastAttnRequestException($"The model '{Name}' generates video; ask for a video (generate_video) or use an image model.", "model");

    /// <inheritdoc />
    public override ServedGeneration PrepareVideo(FastAttnVideoRequest request, int steps, double guidance, long seed)
    {
        if (string.IsNullOrWhiteSpace(request.Prompt)) throw new FastAttnRequestException("The prompt is empty: describe the clip.", "prompt");
        int width = request.Width ?? NativeSize.Width, height = request.Height ?? NativeSize.Height;
        int minimum = Pipeline.VaeFactor * Pipeline.Transformer.Config.PatchW;
        if (width < minimum || height < minimum)
            throw new FastAttnRequestException($"Clips must be at least {minimum}x{minimum} pixels (got {width}x{height}).", "size");
        return NewGeneration(request.Prompt.Trim(), request.Frames ?? 16, width, height, request.Fps ?? 8, steps, guidance, seed);
    }

    /// <inheritdoc />
    public override ServedGeneration Default() => NewGeneration("", 16, NativeSize.Width, NativeSize.Height, 8, Steps, GuidanceScale, 0);

    private Generation NewGeneration(string prompt, int frames, int width, int height, double fps, int steps, double guidance, long seed)
    {
        var request = new VideoGenerationRequest
        {
            Prompts = [prompt], Seeds = [seed], Frames = frames, Height = height, Width = width, Steps = steps, Scheduler = Scheduler,
            GuidanceScale = guidance, OutputFps = fps,
        };
        var (f, rows, cols) = Pipeline.LatentSizeFor(request);
        return new Generation(this, request)
        {
            Subject = prompt,
            Width = cols * Pipeline.VaeFactor,
            Height = rows * Pipeline.VaeFactor,
            Settings = string.Create(CultureInfo.InvariantCulture, $"{f} frames at {width}x{height}, {steps} {Scheduler.Name} steps, guidance {guidance}"),
            Scheduler = Scheduler.Name,
        };
    }

    /// <inheritdoc />
    public override void Dispose() => Pipeline.Dispose();

    private sealed class Generation(ServedOpenSora model, VideoGenerationRequest request) : ServedGeneration
    {
        private OpenSoraPlanSearch PlanSearch => new(model.Pipeline);

        public override long SeedFor(int index) => request.SeedFor(index);

        public override PlanSearchOptions SearchOptions(double delta) => PlanSearch.OptionsFor(request, delta);

        public override PlanKey KeyFor(PlanSearchOptions options, string fingerprint) => PlanSearch.KeyFor(options, fingerprint);

        public override CompressionPlan Search(PlanSearchOptions options, CancellationToken cancellationToken) => PlanSearch.Search(options, null, cancellationToken);

        public override double RawAttentionFlops
        {
            get
            {
                var config = model.Pipeline.Transformer.Config;
                int frames = model.Pipeline.LatentSizeFor(request).Frames, tokens = model.Pipeline.TokensPerCall(request);
                bool cfg = request.GuidanceScale > 1;
                var (perFrame, _) = AttentionFlops.Layer(Engine.Attention.AttentionMethod.Full, false, new FlopsShape(tokens, config.HiddenSize, config.Depth, cfg), 0);
                return perFrame * frames * (cfg ? 2 : 1) * config.Depth * request.Steps;
            }
        }

        /// <summary>One animated GIF.</summary>
        public override byte[][] Render(CompressionPlan? plan, CancellationToken cancellationToken)
        {
            using var scope = NewDisposeScope();
            using var noGrad = no_grad();
            using var result = model.Pipeline.Generate(request with { Plan = plan }, null, cancellationToken);
            using var clip = result.Videos[0];
            return [AnimatedImageWriter.EncodeGif(clip, result.Fps)];
        }
    }
}
