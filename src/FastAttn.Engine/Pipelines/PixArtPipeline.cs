using System.Diagnostics;
using FastAttn.Engine.Attention;
using FastAttn.Engine.Conditioning;
using FastAttn.Engine.Models;
using FastAttn.Engine.Models.PixArt;
using FastAttn.Engine.Models.TextEncoder;
using FastAttn.Engine.Sampling;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using TorchSharp;
using static TorchSharp.torch;
using static FastAttn.Engine.Runtime.Scalars;

namespace FastAttn.Engine.Pipelines;

/// <summary>
/// Text-to-image with PixArt(-Sigma), as diffusers' PixArtSigmaPipeline: prompts and the negative prompt through the
/// reference's caption cleaning, the T5 tokenizer and encoder (300 tokens, mask), noise from per-image seeds, the sampler loop with guidance on a
/// [uncond; cond] batch over all latent channels (the learned-variance half dropped), then the VAE. Prompt
/// embeddings are cached; the encoder can be released after encoding to save memory.
/// </summary>
public sealed class PixArtPipeline : IDisposable
{
    private readonly ILogger _logger;
    private readonly bool _ownsModels;

    /// <summary>Creates the pipeline.</summary>
    /// <param name="transformer">The denoiser.</param>
    /// <param name="encoder">The T5 encoder (its output width must be the transformer's caption channels); null for a pipeline
    /// that takes precomputed <see cref="CaptionEmbeddings"/> only.</param>
    /// <param name="tokenizer">The T5 tokenizer (null exactly when the encoder is).</param>
    /// <param name="decoder">The VAE decoder; null returns latents as images.</param>
    /// <param name="scheduler">The default sampler (from scheduler_config.json).</param>
    /// <param name="logger">Optional logger.</param>
    /// <param name="ownsModels">Dispose the transformer, encoder and decoder with the pipeline.</param>
    public PixArtPipeline(PixArtTransformer transformer, T5Encoder? encoder, T5Tokenizer? tokenizer, ILatentDecoder? decoder,
        IDiffusionSchedulerFactory scheduler, ILogger<PixArtPipeline>? logger = null, bool ownsModels = false)
    {
        _ownsModels = ownsModels;
        Transformer = transformer ?? throw new ArgumentNullException(nameof(transformer));
        Prompts = new PromptEncoder(encoder, tokenizer, transformer.parameters().First().device, ownsModels);
        Decoder = decoder;
        Scheduler = scheduler ?? throw new ArgumentNullException(nameof(scheduler));
        _logger = (ILogger?)logger ?? NullLogger.Instance;
        if (encoder is not null && encoder.Config.DModel != transformer.Config.CaptionChannels)
            throw new ArgumentException(
                $"The text encoder gives {encoder.Config.DModel} channels; the transformer takes {transformer.Config.CaptionChannels}.",
                nameof(encoder));
    }

    /// <summary>The denoising transformer.</summary>
    public PixArtTransformer Transformer { get; }

    /// <summary>The tokenizer; null for a pipeline without a text encoder.</summary>
    public T5Tokenizer? Tokenizer => Prompts.Tokenizer;

    /// <summary>Prompts → caption features (cached).</summary>
    public PromptEncoder Prompts { get; }

    /// <summary>The VAE decoder, if any.</summary>
    public ILatentDecoder? Decoder { get; }

    /// <summary>The default sampler.</summary>
    public IDiffusionSchedulerFactory Scheduler { get; }

    /// <summary>Whether the text encoder is still loaded (see <see cref="ReleaseEncoder"/>).</summary>
    public bool HasEncoder => Prompts.HasEncoder;

    /// <summary>Pixels per latent pixel: the VAE's downscale factor (8 for SDXL's VAE; 8 without a decoder).</summary>
    public int VaeFactor => Decoder is Models.Vae.AutoencoderKLDecoder vae ? vae.Config.DownscaleFactor : 8;

    /// <summary>Pixel side of the trained size (latent × VAE factor).</summary>
    public int DefaultSize => Transformer.Config.SampleSize * VaeFactor;

    /// <summary>
    /// Frees the text encoder (gigabytes for T5-XXL); prompts encoded before stay cached and usable, new prompts are
    /// then an error.
    /// </summary>
    public void ReleaseEncoder() => Prompts.Release();

    /// <summary>
    /// Caption features (B, L, C) and mask (B, L) for <paramref name="texts"/> after the reference's preprocessing
    /// (<see cref="CaptionCleaner.Preprocess"/>), cached per preprocessed text.
    /// </summary>
    public (Tensor Embeddings, Tensor Mask) Encode(IReadOnlyList<string> texts, int maxTokens = T5Tokenizer.PixArtMaxLength,
        bool cleanCaption = true) =>
        Prompts.Encode(texts, maxTokens, cleanCaption);

    /// <summary>
    /// The latent grid (rows, columns in latent pixels) that <paramref name="request"/> is generated at: its size, or the
    /// trained aspect-ratio bucket nearest it with resolution binning. A plan for the request is keyed by this size.
    /// </summary>
    public (int Height, int Width) LatentSizeFor(PixArtGenerationRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        int width = request.Width ?? DefaultSize, height = request.Height ?? DefaultSize;
        var (h, w) = request.ResolutionBinning && PixArtResolutionBins.For(Transformer.Config.SampleSize) is { } bins
            ? PixArtResolutionBins.Classify(height, width, bins)
            : (height, width);
        return (h / VaeFactor, w / VaeFactor);
    }

    /// <summary>
    /// Runs a generation, with the request's DiTFastAttn plan when it has one. Honours <paramref name="cancellationToken"/> between steps.
    /// </summary>
    public ImageGenerationResult Generate(PixArtGenerationRequest request, IProgress<DiffusionProgress>? progress = null,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        Validate(request);
        bool guided = request.GuidanceScale > 1.0;
        if (request.Plan is Compression.CompressionPlan plan)
        {
            var (rows, cols) = LatentSizeFor(request);
            Compression.PlanCompatibility.Check(plan, Compression.ModelFingerprint.Of(Transformer), Transformer.Config.NumLayers, rows, request.Steps,
                (request.Scheduler ?? Scheduler).Name, request.GuidanceScale, cols);
        }
        var device = Transformer.parameters().First().device;
        using var denoiser = new PlanDenoiser(request.Plan, ChunkedForward.Count(request.Count, request.SamplesPerForward), guided,
            CfgBatchOrder.UnconditionalFirst, request.CacheCapBytes, request.TimeAttention ? device : null, request.CostModel);
        var result = Run(request, denoiser, decode: true, progress, cancellationToken);
        return result with
        {
            AttentionFallbacks = denoiser.Fallbacks, PeakCacheBytes = denoiser.PeakCacheBytes, ModuleTimes = denoiser.ModuleTimes,
        };
    }

    /// <summary>
    /// The sampling loop (request already validated): prompts → noise → [uncond; cond] outputs of <paramref name="denoiser"/> →
    /// guidance → scheduler steps → decode (when asked) and resize back.
    /// </summary>
    internal ImageGenerationResult Run(PixArtGenerationRequest request, IDenoiser denoiser, bool decode, IProgress<DiffusionProgress>? progress,
        CancellationToken cancellationToken)
    {
        var stopwatch = Stopwatch.StartNew();
        var config = Transformer.Config;
        int batch = request.Count;
        int width = request.Width ?? DefaultSize, height = request.Height ?? DefaultSize;
        var (rows, cols) = LatentSizeFor(request);
        var seeds = Enumerable.Range(0, batch).Select(request.SeedFor).ToArray();
        var scheduler = (request.Scheduler ?? Scheduler).Create(request.Steps);
        bool guided = request.GuidanceScale > 1.0;
        var device = Transformer.parameters().First().device;
        var dtype = Transformer.parameters().First().dtype;

        using var noGrad = no_grad();
        using var encoded = NewDisposeScope();
        var (prompt, promptMask) = request.PromptEmbeddings is CaptionEmbeddings given
            ? (given.Features.to(ScalarType.Float32, device), given.Mask.to(device))
            : Encode(request.Prompts, request.MaxTokens, request.CleanCaption);
        (Tensor Features, Tensor Mask)? negative = null;
        if (guided)
        {
            negative = request.NegativeEmbeddings is CaptionEmbeddings n
                ? (n.Features.to(ScalarType.Float32, device).expand(batch, -1, -1), n.Mask.to(device).expand(batch, -1))
                : Encode(request.NegativePrompts ?? Enumerable.Repeat(request.NegativePrompt, batch).ToList(), request.MaxTokens,
                    request.CleanCaption);
            if (negative.Value.Features.shape[1] != prompt.shape[1])
                throw new ArgumentException($"The negative embeddings have {negative.Value.Features.shape[1]} tokens; the prompt embeddings " +
                    $"{prompt.shape[1]}: pad both to one length.", nameof(request));
        }
        var captions = Chunks(batch, request.SamplesPerForward, prompt, promptMask, negative, dtype);
        using var crossCaches = new CrossAttentionCaches(captions.Length, config.NumLayers);   // caption K/V, once per generation
        using var noise = new PerSampleNoise(seeds);
        var x = noise.Next([batch, config.InChannels, rows, cols], ScalarType.Float32, device);
        x = DenoisingLoop.Run(scheduler, x, noise, denoiser, (_, timestep, sample) => ChunkedForward.Run(batch, request.SamplesPerForward,
            (chunk, start, count) =>
            {
                var modelIn = ChunkedForward.Input(sample, start, count, guided);
                var t = Full(modelIn.shape[0], timestep, ScalarType.Int64, device);
                Tensor output;
                using (var pass = Transformer.Prepare(modelIn.to(dtype), t, captions[chunk].Caption, captions[chunk].Mask,
                    crossCaches[chunk]))
                    output = denoiser.Forward(chunk, pass).to(ScalarType.Float32);
                if (guided)
                    output = ClassifierFreeGuidance.Combine(output, request.GuidanceScale, config.InChannels, GuidedChannels.AllLatent,
                        CfgBatchOrder.UnconditionalFirst);
                return output[.., ..config.InChannels];                                          // learned variance dropped
            }), progress, stopwatch, cancellationToken);
        var (decoded, latents) = LatentImages.Finish(x, decode ? Decoder : null, cancellationToken);
        var images = ReferenceEquals(decoded, latents)
            ? latents
            : PixArtResolutionBins.ResizeAndCrop(decoded, width, height);                   // back to the requested size
        if (!ReferenceEquals(decoded, images)) decoded.Dispose();
        latents.DetachFromDisposeScope();                                                 // the result owns them, not the encoding scope
        if (!ReferenceEquals(images, latents)) images.DetachFromDisposeScope();
        stopwatch.Stop();
        _logger.LogInformation("Generated {Count} image(s) of {Width}x{Height} in {Elapsed:F2}s", batch, width, height,
            stopwatch.Elapsed.TotalSeconds);
        return new ImageGenerationResult(images, latents, seeds, stopwatch.Elapsed);
    }

    /// <summary>
    /// Each forward chunk's caption batch and mask: [uncond; cond] when <paramref name="negative"/> is given (PixArt's order),
    /// else the prompts alone; built once per generation, in the caller's dispose scope.
    /// </summary>
    private static (Tensor Caption, Tensor Mask)[] Chunks(int batch, int samplesPerForward, Tensor prompt, Tensor promptMask,
        (Tensor Features, Tensor Mask)? negative, ScalarType dtype)
        => ChunkedForward.PerChunk(batch, samplesPerForward, (start, count) =>
        {
            Tensor features = prompt.narrow(0, start, count), mask = promptMask.narrow(0, start, count);
            if (negative is { } n)
            {
                features = cat([n.Features.narrow(0, start, count), features], 0);
                mask = cat([n.Mask.narrow(0, start, count), mask], 0);
            }
            return (features.to(dtype), mask);
        });

    internal void Validate(PixArtGenerationRequest request)
    {
        if (request.NegativePrompts is { } negatives && negatives.Count != request.Count)
            throw new ArgumentException($"Give one negative prompt per image ({request.Count}); got {negatives.Count}.", nameof(request));
        if (request.SamplesPerForward < 0)
            throw new ArgumentOutOfRangeException(nameof(request), $"SamplesPerForward must be 0 (all) or more; got {request.SamplesPerForward}.");
        if (request.PromptEmbeddings is CaptionEmbeddings embeddings)
        {
            if (request.Prompts.Count > 0) throw new ArgumentException("Give prompts or prompt embeddings, not both.", nameof(request));
            embeddings.Check(Transformer.Config.CaptionChannels, nameof(request.PromptEmbeddings));
        }
        if (request.NegativeEmbeddings is CaptionEmbeddings negative)
        {
            negative.Check(Transformer.Config.CaptionChannels, nameof(request.NegativeEmbeddings));
            if (negative.Count != 1 && negative.Count != request.Count)
                throw new ArgumentException(
                    $"Give one row of negative embeddings or one per image ({request.Count}); got {negative.Count}.", nameof(request));
        }
        if (request.Count == 0) throw new ArgumentException("At least one prompt is required.", nameof(request));
        if (request.Seeds.Count != 1 && request.Seeds.Count != request.Count)
            throw new ArgumentException($"Give one seed or one per prompt ({request.Count}); got {request.Seeds.Count}.", nameof(request));
        if (request.Steps < 1 || request.Steps > 1000)
            throw new ArgumentOutOfRangeException(nameof(request), $"Steps must be within 1..1000; got {request.Steps}.");
        if (request.MaxTokens < 1) throw new ArgumentOutOfRangeException(nameof(request), "MaxTokens must be at least 1.");
        int multiple = VaeFactor * Transformer.Config.PatchSize;
        foreach (var (name, value) in new[] { ("Width", request.Width ?? DefaultSize), ("Height", request.Height ?? DefaultSize) })
            if (value <= 0 || value % multiple != 0)
                throw new ArgumentOutOfRangeException(nameof(request),
                    $"{name} {value} must be a positive multiple of {multiple} (VAE factor {VaeFactor} × patch {Transformer.Config.PatchSize}).");
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
