using System.Diagnostics;
using FastAttn.Engine.Attention;
using FastAttn.Engine.Compression;
using FastAttn.Engine.Models;
using FastAttn.Engine.Models.OpenSora;
using FastAttn.Engine.Models.TextEncoder;
using FastAttn.Engine.Sampling;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using TorchSharp;
using static TorchSharp.torch;
using static FastAttn.Engine.Runtime.Scalars;

namespace FastAttn.Engine.Pipelines;

/// <summary>
/// Text-to-video with Open-Sora v1.1 (STDiT2), as its inference script: prompts through caption cleaning and T5
/// (the model's caption length, 200 for the released weights), noise per clip seed, IDDPM (100 steps) with guidance on
/// a [cond; null caption] batch — the null caption is the model's learned <c>y_embedding</c> and keeps the prompt's mask —
/// over the first three latent channels (the rest from the conditional half), the clip's size, frames and fps as
/// micro-conditions, then the VAE frame by frame. DiTFastAttn plans compress the spatial self-attention and, optionally,
/// the temporal one.
/// </summary>
public sealed class OpenSoraPipeline : IDisposable
{
    private readonly ILogger _logger;
    private readonly bool _ownsModels;

    /// <summary>Creates the pipeline.</summary>
    /// <param name="transformer">The STDiT2.</param>
    /// <param name="encoder">The T5 encoder (null: only precomputed embeddings).</param>
    /// <param name="tokenizer">Its tokenizer (null exactly when the encoder is).</param>
    /// <param name="decoder">The VAE (sd-vae-ft-ema); null returns latents.</param>
    /// <param name="logger">Optional logger.</param>
    /// <param name="ownsModels">Dispose the models with the pipeline.</param>
    public OpenSoraPipeline(STDiT2Transformer transformer, T5Encoder? encoder, T5Tokenizer? tokenizer, ILatentDecoder? decoder,
        ILogger<OpenSoraPipeline>? logger = null, bool ownsModels = false)
    {
        Transformer = transformer ?? throw new ArgumentNullException(nameof(transformer));
        if (encoder is not null && encoder.Config.DModel != transformer.Config.CaptionChannels)
            throw new ArgumentException(
                $"The text encoder gives {encoder.Config.DModel} channels; the transformer takes {transformer.Config.CaptionChannels}.",
                nameof(encoder));
        Prompts = new PromptEncoder(encoder, tokenizer, transformer.parameters().First().device, ownsModels);
        Decoder = decoder;
        _ownsModels = ownsModels;
        _logger = (ILogger?)logger ?? NullLogger.Instance;
    }

    /// <summary>The video transformer.</summary>
    public STDiT2Transformer Transformer { get; }

    /// <summary>Prompts → caption features (cached).</summary>
    public PromptEncoder Prompts { get; }

    /// <summary>The VAE decoder, if any.</summary>
    public ILatentDecoder? Decoder { get; }

    /// <summary>Pixels per latent pixel (8).</summary>
    public int VaeFactor => Decoder is Models.Vae.AutoencoderKLDecoder vae ? vae.Config.DownscaleFactor : 8;

    /// <summary>The latent (frames, rows, columns) a request is generated at: pixels / VAE factor, rounded down as the reference.</summary>
    public (int Frames, int Height, int Width) LatentSizeFor(VideoGenerationRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        return (request.Frames, request.Height / VaeFactor, request.Width / VaeFactor);
    }

    /// <summary>
    /// Tokens one call of the <paramref name="target"/> self-attention sees for <paramref name="request"/>: a frame's
    /// patches (spatial) or a location's frames (temporal), after padding to whole patches.
    /// </summary>
    public int TokensPerCall(VideoGenerationRequest request, VideoAttention target = VideoAttention.Spatial)
    {
        var (frames, rows, cols) = LatentSizeFor(request);
        var c = Transformer.Config;
        return target == VideoAttention.Temporal
            ? (frames + c.PatchT - 1) / c.PatchT
            : (rows + c.PatchH - 1) / c.PatchH * ((cols + c.PatchW - 1) / c.PatchW);
    }

    /// <summary>Runs a generation, with the request's plan when it has one. Honours <paramref name="cancellationToken"/> between steps.</summary>
    public VideoGenerationResult Generate(VideoGenerationRequest request, IProgress<DiffusionProgress>? progress = null,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        Validate(request);
        var scheduler = request.Scheduler ?? SchedulerRegistry.Get("iddpm");
        bool guided = request.GuidanceScale > 1.0;
        var (f, h, w) = LatentSizeFor(request);
        foreach (var (plan, target) in new[] { (request.Plan, VideoAttention.Spatial), (request.TemporalPlan, VideoAttention.Temporal) })
        {
            if (plan is null) continue;
            if (target == VideoAttention.Temporal)                                          // blocks are decided through the spatial plan
                SearchScopeNotSupportedException.ThrowUnlessAttention(plan.Key.SearchScope, "Open-Sora's temporal attention");
            if (plan.Key.Target != target)
                throw new ArgumentException($"The {(target == VideoAttention.Spatial ? "Plan" : "TemporalPlan")} was searched for the "
                    + $"{plan.Key.Target.ToString().ToLowerInvariant()} attention.", nameof(request));
            PlanCompatibility.Check(plan, ModelFingerprint.Of(Transformer), Transformer.Config.Depth, h, request.Steps, scheduler.Name,
                request.GuidanceScale, w, f);
        }
        var device = Transformer.parameters().First().device;
        int chunks = ChunkedForward.Count(request.Count, request.SamplesPerForward);
        using var denoiser = new PlanDenoiser(request.Plan, chunks, guided, CfgBatchOrder.ConditionalFirst, request.CacheCapBytes,
            request.TimeAttention ? device : null, request.CostModel);
        var temporal = request.TemporalPlan is CompressionPlan tp
            ? Enumerable.Range(0, chunks).Select(_ => new FastAttentionRunner(tp.Methods, _ => tp.Key.Window, guided, CfgBatchOrder.ConditionalFirst,
                cacheCapBytes: request.CacheCapBytes / chunks, costModel: request.CostModel)).ToArray()
            : null;
        try
        {
            var both = temporal is null ? denoiser : (IDenoiser)new VideoAttentionDenoiser(denoiser, VideoAttention.Spatial, temporal);
            var result = Run(request, both, progress, cancellationToken);
            return result with
            {
                AttentionFallbacks = denoiser.Fallbacks + (temporal?.Sum(r => r.Fallbacks) ?? 0),
                PeakCacheBytes = denoiser.PeakCacheBytes + (temporal?.Sum(r => r.PeakCacheBytes) ?? 0),
                ModuleTimes = denoiser.ModuleTimes,
            };
        }
        finally
        {
            foreach (var runner in temporal ?? []) runner.Dispose();
        }
    }

    /// <summary>
    /// The sampling loop (request validated): captions → noise → guided outputs of <paramref name="denoiser"/> → IDDPM → frames.
    /// </summary>
    internal VideoGenerationResult Run(VideoGenerationRequest request, IDenoiser denoiser, IProgress<DiffusionProgress>? progress,
        CancellationToken cancellationToken)
    {
        var stopwatch = Stopwatch.StartNew();
        var config = Transformer.Config;
        int batch = request.Count;
        var (frames, rows, cols) = LatentSizeFor(request);
        var seeds = Enumerable.Range(0, batch).Select(request.SeedFor).ToArray();
        var scheduler = (request.Scheduler ?? SchedulerRegistry.Get("iddpm")).Create(request.Steps);
        bool guided = request.GuidanceScale > 1.0;
        var device = Transformer.parameters().First().device;
        var dtype = Transformer.parameters().First().dtype;
        var conditions = new VideoConditions(request.Height, request.Width, request.Frames, request.ConditionFps);

        using var noGrad = no_grad();
        using var encoded = NewDisposeScope();
        var (caption, mask) = request.PromptEmbeddings is CaptionEmbeddings given
            ? (given.Features.to(ScalarType.Float32, device), given.Mask.to(device))
            : Prompts.Encode(request.Prompts, request.MaxTokens ?? config.ModelMaxLength, request.CleanCaption);
        if (caption.shape[1] != config.ModelMaxLength)
            throw new ArgumentException(
                $"The captions have {caption.shape[1]} tokens; this model's null caption has {config.ModelMaxLength}: encode to that length.",
                nameof(request));
        var captions = Chunks(batch, request.SamplesPerForward, caption, mask, guided, dtype);
        using var crossCaches = new CrossAttentionCaches(captions.Length, config.Depth);   // caption K/V, once per generation
        using var noise = new PerSampleNoise(seeds);
        var x = noise.Next([batch, config.InChannels, frames, rows, cols], ScalarType.Float32, device);
        x = DenoisingLoop.Run(scheduler, x, noise, denoiser, (_, timestep, sample) => ChunkedForward.Run(batch, request.SamplesPerForward,
            (chunk, start, count) =>
            {
                var modelIn = ChunkedForward.Input(sample, start, count, guided);
                var t = Full(modelIn.shape[0], timestep, ScalarType.Float32, device);
                Tensor output;
                using (var pass = Transformer.Prepare(modelIn.to(dtype), t, captions[chunk].Caption, captions[chunk].Mask, conditions,
                    crossCaches[chunk]))
                    output = denoiser.Forward(chunk, pass).to(ScalarType.Float32);
                return guided
                    ? ClassifierFreeGuidance.Combine(output, request.GuidanceScale, config.InChannels, GuidedChannels.ReferenceFirstThree,
                        CfgBatchOrder.ConditionalFirst)
                    : output;
            }), progress, stopwatch, cancellationToken);
        try
        {
            var latents = x.cpu();
            if (!ReferenceEquals(latents, x)) x.Dispose();
            latents.DetachFromDisposeScope();
            var videos = request.Decode && Decoder is not null ? DecodeFrames(latents, cancellationToken) : latents;
            if (!ReferenceEquals(videos, latents)) videos.DetachFromDisposeScope();                // the result owns them, not the encoding scope
            stopwatch.Stop();
            _logger.LogInformation("Generated {Count} clip(s) of {Frames} frames at {Width}x{Height} in {Elapsed:F2}s", batch, request.Frames,
                request.Width,
                request.Height, stopwatch.Elapsed.TotalSeconds);
            return new VideoGenerationResult(videos, latents, seeds, request.OutputFps, stopwatch.Elapsed);
        }
        catch
        {
            x.Dispose();
            throw;
        }
    }

    /// <summary>
    /// Each forward chunk's caption batch and mask: [cond; null caption] when guided (Open-Sora's order; the null caption
    /// keeps the prompt's mask), else the prompts alone; built once per generation, in the caller's dispose scope.
    /// </summary>
    private (Tensor Caption, Tensor Mask)[] Chunks(int batch, int samplesPerForward, Tensor caption, Tensor mask, bool guided, ScalarType dtype)
        => ChunkedForward.PerChunk(batch, samplesPerForward, (start, count) =>
        {
            Tensor features = caption.narrow(0, start, count), kept = mask.narrow(0, start, count);
            if (guided)
            {
                var nullCaption = Transformer.NullCaption.to(ScalarType.Float32, caption.device).unsqueeze(0).expand(count, -1, -1);
                features = cat([features, nullCaption], 0);
                kept = cat([kept, kept], 0);
            }
            return (features.to(dtype), kept);
        });

    /// <summary>(B, C, T, h, w) latents → (B, 3, T, H, W) frames, decoded independently as the reference's 2-D VAE does.</summary>
    private Tensor DecodeFrames(Tensor latents, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        using var scope = NewDisposeScope();
        long b = latents.shape[0], c = latents.shape[1], t = latents.shape[2], h = latents.shape[3], w = latents.shape[4];
        var flat = latents.permute(0, 2, 1, 3, 4).reshape(b * t, c, h, w);                    // clip-major, frame-minor
        var images = Decoder!.Decode(flat).to(ScalarType.Float32, CPU);                         // (B·T, 3, H, W)
        return images.view(b, t, 3, images.shape[2], images.shape[3]).permute(0, 2, 1, 3, 4).contiguous().MoveToOuterDisposeScope();
    }

    internal void Validate(VideoGenerationRequest request)
    {
        var config = Transformer.Config;
        if (request.PromptEmbeddings is CaptionEmbeddings embeddings)
        {
            if (request.Prompts.Count > 0) throw new ArgumentException("Give prompts or prompt embeddings, not both.", nameof(request));
            embeddings.Check(config.CaptionChannels, nameof(request.PromptEmbeddings));
        }
        if (request.Count == 0) throw new ArgumentException("At least one prompt is required.", nameof(request));
        if (request.SamplesPerForward < 0)
            throw new ArgumentOutOfRangeException(nameof(request), $"SamplesPerForward must be 0 (all) or more; got {request.SamplesPerForward}.");
        if (request.Seeds.Count != 1 && request.Seeds.Count != request.Count)
            throw new ArgumentException($"Give one seed or one per prompt ({request.Count}); got {request.Seeds.Count}.", nameof(request));
        if (request.Steps < 1 || request.Steps > 1000)
            throw new ArgumentOutOfRangeException(nameof(request), $"Steps must be within 1..1000; got {request.Steps}.");
        if (request.Frames < 1 || request.Frames > 256)
            throw new ArgumentOutOfRangeException(nameof(request), $"Frames must be within 1..256; got {request.Frames}.");
        if (request.Height < VaeFactor * config.PatchH || request.Width < VaeFactor * config.PatchW)
            throw new ArgumentOutOfRangeException(nameof(request),
                $"The clip must be at least {VaeFactor * config.PatchW}x{VaeFactor * config.PatchH} pixels; got {request.Width}x{request.Height}.");
        if (request.ConditionFps <= 0 || request.OutputFps <= 0)
            throw new ArgumentOutOfRangeException(nameof(request), "Frame rates must be positive.");
        if (request.MaxTokens is int m && m != config.ModelMaxLength)
            throw new ArgumentException(
                $"This model's captions have {config.ModelMaxLength} tokens (its null caption's length); got MaxTokens {m}.", nameof(request));
    }

    /// <inheritdoc />
    public void Dispose()
    {
        Prompts.Dispose();
        if (!_ownsModels) return;
        Transformer.Dispose();
        (Decoder as IDisposable)?.Dispose();
    }
}
