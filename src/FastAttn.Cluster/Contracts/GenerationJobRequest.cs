using FastAttn.Plugin.Hosting;

namespace FastAttn.Cluster.Contracts;

/// <summary>What a job generates: images or a clip.</summary>
[GenerateSerializer, Alias("fastattn.GenerationKind")]
public enum GenerationKind
{
    /// <summary>Images (<see cref="FastAttnImageRequest"/>).</summary>
    Image,

    /// <summary>A clip (<see cref="FastAttnVideoRequest"/>).</summary>
    Video,
}

/// <summary>
/// A generation job as the cluster carries it: the plugin's own request (images or a clip). Its seed is fixed before it is
/// submitted, so a job rerun on another host gives the same result.
/// </summary>
[GenerateSerializer, Alias("fastattn.GenerationJobRequest"), Immutable]
public sealed record GenerationJobRequest
{
    /// <summary>Images or a clip.</summary>
    [Id(0)] public required GenerationKind Kind { get; init; }

    /// <summary>The image request (<see cref="GenerationKind.Image"/>).</summary>
    [Id(1)] public FastAttnImageRequest? Image { get; init; }

    /// <summary>The clip request (<see cref="GenerationKind.Video"/>).</summary>
    [Id(2)] public FastAttnVideoRequest? Video { get; init; }

    /// <summary>The model asked for (null: the cluster's default).</summary>
    public string? Model => Kind == GenerationKind.Image ? Image?.Model : Video?.Model;

    /// <summary>An image job; a missing seed is drawn now.</summary>
    public static GenerationJobRequest For(FastAttnImageRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        return new() { Kind = GenerationKind.Image, Image = request.Seed is null ? request with { Seed = Random.Shared.NextInt64(0, int.MaxValue) }
            : request };
    }

    /// <summary>A clip job; a missing seed is drawn now.</summary>
    public static GenerationJobRequest For(FastAttnVideoRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        return new() { Kind = GenerationKind.Video, Video = request.Seed is null ? request with { Seed = Random.Shared.NextInt64(0, int.MaxValue) }
            : request };
    }

    /// <summary>The same request for <paramref name="model"/> (the canonical name the cluster resolved).</summary>
    public GenerationJobRequest WithModel(string model) => Kind == GenerationKind.Image
        ? this with { Image = Image! with { Model = model } }
        : this with { Video = Video! with { Model = model } };
}
