using FastAttn.Engine.Compression;
using FastAttn.Engine.Models.Vae;
using FastAttn.Engine.Pipelines;
using FastAttn.Engine.Sampling;
using FastAttn.Plugin.Options;

namespace FastAttn.Plugin.Hosting;

/// <summary>A loaded model as the engine serves it: pipeline, fingerprint, sizes and sampling defaults.</summary>
internal sealed class ServedModel : IDisposable
{
    public ServedModel(string name, LoadedDiT loaded, FastAttnModelOptions? options)
    {
        Name = name;
        Loaded = loaded;
        Fingerprint = ModelFingerprint.Of(loaded.Pipeline.Transformer);
        PixelsPerLatent = loaded.Pipeline.Decoder is AutoencoderKLDecoder vae ? vae.Config.DownscaleFactor : 1;
        NativeSize = loaded.Pipeline.Transformer.Config.InputSize * PixelsPerLatent;
        Sizes = options is { Resolutions.Count: > 0 } ? options.Resolutions.Distinct().Order().ToArray() : [NativeSize];
        Steps = options?.Steps ?? loaded.Defaults.Steps;
        Scheduler = loaded.Defaults.CreateScheduler(options?.Scheduler);
        GuidanceScale = options?.GuidanceScale ?? loaded.Defaults.GuidanceScale;
    }

    public string Name { get; }

    public LoadedDiT Loaded { get; }

    public string Fingerprint { get; }

    public int PixelsPerLatent { get; }

    public int NativeSize { get; }

    public IReadOnlyList<int> Sizes { get; }

    public int Steps { get; }

    public IDiffusionSchedulerFactory Scheduler { get; }

    public double GuidanceScale { get; }

    public void Dispose() => Loaded.Dispose();
}
