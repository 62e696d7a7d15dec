using System.Diagnostics;
using FastAttn.Engine.Attention;
using FastAttn.Engine.Compression;
using FastAttn.Engine.Generation;
using FastAttn.Engine.Pipelines;
using static TorchSharp.torch;

namespace FastAttn.Plugin.Tests.Support;

/// <summary>One gradient generation: a deterministic picture per seed, two "layers" for its plans.</summary>
internal sealed class GradientGeneration(GradientModel model) : PreparedGeneration
{
    private const int Layers = 2, Hidden = 8;

    private int Tokens => Width * Height / 4;

    public override double RawAttentionFlops => 4.0 * Tokens * Tokens * Hidden * Layers * Steps * Count * (Frames ?? 1);

    public override PlanKey PlanKey(double threshold, PlanSearchSettings? settings = null)
    {
        settings ??= new PlanSearchSettings();
        return new PlanKey(model.Fingerprint, Height, Steps, Scheduler, GuidanceScale, settings.WindowFor(Tokens), threshold,
            $"gradient,seed:{settings.CalibrationSeed}", Width, Frames);
    }

    public override CompressionPlan SearchPlan(double threshold, PlanSearchSettings? settings = null, IProgress<PlanSearchProgress>? progress = null,
        CancellationToken cancellationToken = default)
    {
        cancellationToken.ThrowIfCancellationRequested();
        model.Owner.Searched();
        var methods = Enumerable.Range(0, Steps)
            .Select(step => step == 0 ? new[] { AttentionMethod.Full, AttentionMethod.Full } : [AttentionMethod.Full, AttentionMethod.OutputShare])
            .ToArray();
        return new CompressionPlan(PlanKey(threshold, settings), methods, shape: new PlanModelShape(Tokens, Hidden));
    }

    /// <summary>Generations of a batching family share a forward when size, steps, sampler, guidance and frames agree.</summary>
    public override string? BatchKey => model.Owner.Batching ? $"{Width}x{Height},{Steps},{Scheduler},{GuidanceScale},{Frames}" : null;

    public override long ItemBytes => model.Owner.ItemBytes;

    /// <summary>One pass of the gate for the whole batch, its composition recorded; each member then drawn as alone.</summary>
    protected override IReadOnlyList<GenerationOutput> RunBatch(IReadOnlyList<PreparedGeneration> members, CompressionPlan? plan,
        IProgress<DiffusionProgress>? progress, CancellationToken cancellationToken)
    {
        model.Owner.Ran(members.Select(m => m.Subject).ToArray());
        model.Owner.Gate?.Pass(cancellationToken);
        return members.Select(m => ((GradientGeneration)m).Draw(cancellationToken)).ToArray();
    }

    public override GenerationOutput Run(CompressionPlan? plan, IProgress<DiffusionProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        model.Owner.Ran([Subject]);
        model.Owner.Gate?.Pass(cancellationToken);
        return Draw(cancellationToken);
    }

    private GenerationOutput Draw(CancellationToken cancellationToken)
    {
        var stopwatch = Stopwatch.StartNew();
        cancellationToken.ThrowIfCancellationRequested();
        using var scope = NewDisposeScope();
        var items = Enumerable.Range(0, Count).Select(i => Picture(SeedFor(i))).ToArray();
        var batch = stack(items).MoveToOuterDisposeScope();
        var seeds = Enumerable.Range(0, Count).Select(i => SeedFor(i)).ToArray();
        return Frames is int
            ? new VideoOutput(batch, seeds, Fps ?? 6, stopwatch.Elapsed)
            : new GenerationOutput(batch, seeds, stopwatch.Elapsed);
    }

    /// <summary>(3, H, W) or (3, T, H, W) in [−1, 1]: a ramp whose colour comes from the seed and the prompt.</summary>
    private Tensor Picture(long seed)
    {
        var x = linspace(-1, 1, Width).reshape(1, 1, Width).expand(3, Height, Width);
        var y = linspace(-1, 1, Height).reshape(1, Height, 1).expand(3, Height, Width);
        var tint = tensor(new[] { (seed % 7) / 7f, (Subject.Length % 5) / 5f, (seed % 3) / 3f }).reshape(3, 1, 1);
        var image = ((x + y) * 0.5f * tint).clamp(-1, 1);
        return Frames is int f ? stack(Enumerable.Range(0, f).Select(t => (image * (1 - 0.2f * t)).clamp(-1, 1)).ToArray(), 1) : image;
    }
}

/// <summary>
/// Holds generations until the test lets them go: <see cref="WaitStartedAsync"/> completes when one has started (is on the
/// device), <see cref="Release"/> lets one finish; <see cref="Open"/> lets all pass. A cancelled generation stops waiting.
/// </summary>
public sealed class GenerationGate : IDisposable
{
    private readonly SemaphoreSlim _started = new(0), _released = new(0);
    private volatile bool _open;

    /// <summary>Lets every generation (waiting or later) pass.</summary>
    public void Open()
    {
        _open = true;
        _released.Release(1000);
    }

    /// <summary>Lets one generation finish.</summary>
    public void Release() => _released.Release();

    /// <summary>Waits until a generation has started; fails after <paramref name="guard"/> (a hang, not a timing).</summary>
    public async Task WaitStartedAsync(TimeSpan? guard = null)
    {
        if (!await _started.WaitAsync(guard ?? TimeSpan.FromMinutes(2)).ConfigureAwait(false))
            throw new TimeoutException("No generation started.");
    }

    internal void Pass(CancellationToken cancellationToken)
    {
        _started.Release();
        if (!_open) _released.Wait(cancellationToken);
    }

    /// <inheritdoc />
    public void Dispose()
    {
        _started.Dispose();
        _released.Dispose();
    }
}
