using System.Drawing;
using FastAttn.Plugin.Hosting;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.PixelFormats;

namespace FastAttn.Server.Tests.Support;

/// <summary>
/// A fake engine the test steers: each call is counted, announces itself on <see cref="Started"/>, reports
/// <see cref="Steps"/> steps, then waits for <see cref="Release"/> (or its cancellation, announced on <see cref="Cancelled"/>).
/// <see cref="QueueFull"/> makes calls fail as a full queue does. No timing anywhere.
/// </summary>
internal sealed class GatedEngine : IFastAttnEngine
{
    private readonly TaskCompletionSource _gate = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private int _calls;

    public static byte[] Png { get; } = MakePng(32, 32);

    public int Calls => Volatile.Read(ref _calls);

    public int Steps { get; init; } = 3;

    public bool QueueFull { get; set; }

    /// <summary>Released by <see cref="Release"/>; a new gate is not made (one gate per engine).</summary>
    public SemaphoreSlim Started { get; } = new(0);

    public TaskCompletionSource Cancelled { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public void Release() => _gate.TrySetResult();

    public IReadOnlyList<string> ModelNames => ["tiny-mnist", "fake-video"];

    public string DefaultModel => "tiny-mnist";

    public string? DefaultVideoModel => "fake-video";

    public FastAttnEngineStatus Status => new(0, 4, 0, ["tiny-mnist"], new Dictionary<string, string>());

    public Task<IReadOnlyList<System.Drawing.Size>> GetSupportedSizesAsync(string? model = null, CancellationToken cancellationToken = default) =>
        Task.FromResult<IReadOnlyList<System.Drawing.Size>>([new System.Drawing.Size(32, 32)]);

    public async Task<FastAttnImageResult> GenerateAsync(FastAttnImageRequest request, CancellationToken cancellationToken = default)
    {
        await RunAsync(request.Progress, cancellationToken);
        var images = Enumerable.Range(0, request.Count).Select(i => new FastAttnImage(Png, "fake.png", (request.Seed ?? 1) + i, "7", 7)).ToArray();
        return new FastAttnImageResult
        {
            Images = images, Model = request.Model ?? DefaultModel, Preset = request.Preset ?? "D2", Compressed = true,
            AttentionFlopsFraction = 0.5, Width = 32, Height = 32, Steps = Steps, Elapsed = TimeSpan.FromSeconds(1),
        };
    }

    public async Task<FastAttnVideoResult> GenerateVideoAsync(FastAttnVideoRequest request, CancellationToken cancellationToken = default)
    {
        await RunAsync(request.Progress, cancellationToken);
        return new FastAttnVideoResult
        {
            Gif = "GIF89a"u8.ToArray(), Path = "fake.gif", Model = request.Model ?? "fake-video", Prompt = request.Prompt,
            Preset = request.Preset ?? "V2", Frames = 4, Width = 16, Height = 16, Fps = 8, Steps = Steps,
        };
    }

    private async Task RunAsync(IProgress<FastAttnProgress>? progress, CancellationToken cancellationToken)
    {
        if (QueueFull) throw new FastAttnQueueFullException(4);
        Interlocked.Increment(ref _calls);
        Started.Release();
        for (int step = 1; step <= Steps; step++) progress?.Report(new FastAttnProgress(step, Steps));
        try { await _gate.Task.WaitAsync(cancellationToken); }
        catch (OperationCanceledException)
        {
            Cancelled.TrySetResult();
            throw;
        }
    }

    private static byte[] MakePng(int width, int height)
    {
        using var image = new Image<L8>(width, height);
        using var stream = new MemoryStream();
        image.SaveAsPng(stream);
        return stream.ToArray();
    }
}
