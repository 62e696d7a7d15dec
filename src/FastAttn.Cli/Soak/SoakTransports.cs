using System.Globalization;
using System.Text.RegularExpressions;
using FastAttn.Cluster.Client;
using FastAttn.Plugin.Hosting;
using FastAttn.Plugin.SemanticKernel;
using Microsoft.Extensions.AI;
using Microsoft.SemanticKernel;

namespace FastAttn.Cli.Soak;

/// <summary>Straight to <see cref="IFastAttnEngine"/> (the hosted engine in this process).</summary>
internal sealed class EngineTransport(IFastAttnEngine engine) : ISoakTransport
{
    public string Name => "engine";

    public bool Supports(SoakCall call) => call.Kind != SoakKind.Duplicate;

    public async Task<SoakAnswer> SendAsync(SoakCall call, CancellationToken cancellationToken)
    {
        if (call.Video is { } video)
        {
            var clip = await engine.GenerateVideoAsync(video, cancellationToken).ConfigureAwait(false);
            return new SoakAnswer([clip.Gif], [clip.Path]);
        }
        var r = await engine.GenerateAsync(call.Image!, cancellationToken).ConfigureAwait(false);
        return new SoakAnswer(r.Images.Select(i => i.Png).ToArray(), r.Images.Select(i => i.Path).ToArray());
    }
}

/// <summary>
/// The Semantic Kernel functions <c>generate_image</c> / <c>generate_video</c> through a <see cref="Kernel"/>, as an agent
/// calls them: the answer is text naming the saved file, or "Could not generate…" (a typed refusal).
/// </summary>
internal sealed partial class KernelTransport : ISoakTransport
{
    private readonly Kernel _kernel = new();

    public KernelTransport(FastAttnImagePlugin images, FastAttnVideoPlugin? videos)
    {
        _kernel.Plugins.AddFromObject(images, "images");
        if (videos is not null) _kernel.Plugins.AddFromObject(videos, "videos");
    }

    public string Name => "kernel";

    /// <summary>Parameters of the functions that a fault can be in (prompt, size, quality): the others (steps, counts) are not sent.</summary>
    private static readonly string[] Carried = ["prompt", "preset", "size"];

    /// <summary>The functions take prompt, size, quality and seed: no steps or counts, so the engine's defaults apply.</summary>
    public bool Supports(SoakCall call) => call.Kind is not SoakKind.Duplicate && (call.Image is null || call.Image.Count == 1)
        && (call.Video is null || _kernel.Plugins.Contains("videos"))
        && (SoakMix.ParameterOf(call) is not string fault || Carried.Contains(fault));

    public async Task<SoakAnswer> SendAsync(SoakCall call, CancellationToken cancellationToken)
    {
        var args = new KernelArguments();
        string plugin, function;
        if (call.Video is { } v)
        {
            (plugin, function) = ("videos", "generate_video");
            args["prompt"] = v.Prompt;
            args["frames"] = v.Frames;
            args["seed"] = v.Seed;
            args["quality"] = v.Preset;
            if (v.Width is int w) args["size"] = string.Create(CultureInfo.InvariantCulture, $"{w}x{v.Height ?? w}");
        }
        else
        {
            var i = call.Image!;
            (plugin, function) = ("images", "generate_image");
            args["prompt"] = i.Prompt;
            args["seed"] = i.Seed;
            args["quality"] = i.Preset;
            if (i.Width is int w) args["size"] = string.Create(CultureInfo.InvariantCulture, $"{w}x{i.Height ?? w}");
        }
        var text = (await _kernel.InvokeAsync(plugin, function, args, cancellationToken).ConfigureAwait(false)).GetValue<string>() ?? "";
        var saved = SavedPath().Match(text);
        if (!saved.Success) throw new SoakRefusedException(text);                              // "Could not generate: …"
        var path = saved.Groups[1].Value;
        // answered: a success whatever the token does now (reading it is the client's work, not the request's)
        return new SoakAnswer([await File.ReadAllBytesAsync(path, CancellationToken.None).ConfigureAwait(false)], [path]);
    }

    [GeneratedRegex(@"^Saved the (?:image|clip) to (.+?) \(")]
    private static partial Regex SavedPath();
}

/// <summary>Microsoft.Extensions.AI's <see cref="IImageGenerator"/> (images only; PNG bytes in the response).</summary>
internal sealed class ImageGeneratorTransport(IImageGenerator generator) : ISoakTransport
{
    public string Name => "imagegenerator";

    public bool Supports(SoakCall call) => call.Image is not null && call.Kind != SoakKind.Duplicate;

    public async Task<SoakAnswer> SendAsync(SoakCall call, CancellationToken cancellationToken)
    {
        var i = call.Image!;
        var options = new ImageGenerationOptions
        {
            ModelId = i.Model, Count = i.Count,
            ImageSize = i.Width is int w ? new System.Drawing.Size(w, i.Height ?? w) : null,
            AdditionalProperties = new()
            {
                ["preset"] = i.Preset, ["seed"] = i.Seed, ["steps"] = i.Steps, ["threshold"] = i.Threshold, ["guidance"] = i.GuidanceScale,
            },
        };
        var r = await generator.GenerateAsync(new ImageGenerationRequest(i.Prompt), options, cancellationToken).ConfigureAwait(false);
        var data = r.Contents.OfType<DataContent>().ToArray();
        return new SoakAnswer(data.Select(d => d.Data.ToArray()).ToArray(), data.Select(d => d.Name ?? "").ToArray());
    }
}

/// <summary>
/// The cluster's jobs (<see cref="IFastAttnCluster"/>): every call is a job with an idempotency key; a duplicate call
/// submits its key twice at once and must get one job and one result (two different results = answered twice = lost).
/// </summary>
internal sealed class ClusterTransport(IFastAttnCluster cluster) : ISoakTransport
{
    public string Name => "cluster";

    public bool Supports(SoakCall call) => true;

    public async Task<SoakAnswer> SendAsync(SoakCall call, CancellationToken cancellationToken)
    {
        var key = call.IdempotencyKey ?? Guid.NewGuid().ToString("N");
        Task<Cluster.Contracts.JobSnapshot> Submit() => call.Video is { } v ? cluster.SubmitVideoAsync(v, key, cancellationToken)
            : cluster.SubmitAsync(call.Image!, key, cancellationToken);
        var submits = await Task.WhenAll(call.Kind == SoakKind.Duplicate ? [Submit(), Submit()] : new[] { Submit() }).ConfigureAwait(false);
        if (submits.Select(s => s.Submitted).Distinct().Count() > 1)
            throw new SoakAnsweredTwiceException($"idempotency key {key} started {submits.Length} jobs");
        if (call.Video is not null)
        {
            var clip = await cluster.GetVideoAsync(key, cancellationToken).ConfigureAwait(false);
            return new SoakAnswer([clip.Gif], [clip.Path]);
        }
        var r = await cluster.GetImagesAsync(key, cancellationToken).ConfigureAwait(false);
        if (call.Kind == SoakKind.Duplicate)
        {
            var again = await cluster.GetImagesAsync(key, cancellationToken).ConfigureAwait(false);  // the second caller's answer
            if (!again.Images.Select(i => i.Path).SequenceEqual(r.Images.Select(i => i.Path)))
                throw new SoakAnsweredTwiceException($"idempotency key {key} answered with two different results");
        }
        return new SoakAnswer(r.Images.Select(i => i.Png).ToArray(), r.Images.Select(i => i.Path).ToArray());
    }
}

/// <summary>Two different answers for one request (one idempotency key): the soak counts it lost.</summary>
internal sealed class SoakAnsweredTwiceException(string message) : Exception(message);
