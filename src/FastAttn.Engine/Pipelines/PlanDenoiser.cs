using FastAttn.Engine.Attention;
using FastAttn.Engine.Compression;
using FastAttn.Engine.Models.DiT;
using FastAttn.Engine.Sampling;
using static TorchSharp.torch;

namespace FastAttn.Engine.Pipelines;

/// <summary>Calls the transformer with one attention runner per chunk of samples (each chunk has its own caches).</summary>
internal sealed class PlanDenoiser : IDenoiser
{
    private readonly DiTModel _model;
    private ISelfAttentionRunner[] _runners;

    public PlanDenoiser(DiTModel model, CompressionPlan? plan, int chunks, bool guided, long? cacheCapBytes, bool timeAttention = false)
    {
        _model = model;
        _runners = plan is null
            ? Enumerable.Repeat<ISelfAttentionRunner>(FullAttentionRunner.Instance, chunks).ToArray()
            : Enumerable.Range(0, chunks).Select(_ => (ISelfAttentionRunner)new FastAttentionRunner(plan.Methods, _ => plan.Key.Window, guided,
                CfgBatchOrder.ConditionalFirst, cacheCapBytes: cacheCapBytes is long cap ? cap / chunks : null)).ToArray();
        if (timeAttention) _runners = _runners.Select(r => (ISelfAttentionRunner)new TimedAttentionRunner(r, model.Device)).ToArray();
    }

    public int Fallbacks => Plans.Sum(r => r.Fallbacks);

    public long PeakCacheBytes => Plans.Sum(r => r.PeakCacheBytes);

    /// <summary>Time spent in self-attention, when timed.</summary>
    public TimeSpan? AttentionTime => _runners.Length > 0 && _runners[0] is TimedAttentionRunner
        ? TimeSpan.FromTicks(_runners.OfType<TimedAttentionRunner>().Sum(r => r.Elapsed.Ticks))
        : null;

    private IEnumerable<FastAttentionRunner> Plans =>
        _runners.Select(r => r is TimedAttentionRunner t ? t.Inner : r).OfType<FastAttentionRunner>();

    public void BeginStep(int step)
    {
        foreach (var r in _runners) r.BeginStep(step);
    }

    public Tensor Forward(int chunk, Tensor modelInput, Tensor timesteps, Tensor labels) =>
        _model.Forward(modelInput, timesteps, labels, _runners[chunk]);

    public void Dispose()
    {
        foreach (var r in Plans) r.Dispose();
    }
}
