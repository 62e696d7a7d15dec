using FastAttn.Engine.Attention;
using FastAttn.Engine.Attention.Costs;
using FastAttn.Engine.Compression;
using FastAttn.Engine.Models;
using FastAttn.Engine.Sampling;
using static TorchSharp.torch;

namespace FastAttn.Engine.Pipelines;

/// <summary>Runs the transformer with one attention runner per chunk of samples (each chunk has its own caches).</summary>
internal sealed class PlanDenoiser : IDenoiser
{
    private ISelfAttentionRunner[] _runners;

    /// <summary>Creates the runners.</summary>
    /// <param name="plan">The plan, or null for full attention.</param>
    /// <param name="chunks">Chunks of samples per step.</param>
    /// <param name="guided">Whether each forward is a CFG batch.</param>
    /// <param name="order">The model's CFG batch order.</param>
    /// <param name="cacheCapBytes">Cap on all chunks' cache memory.</param>
    /// <param name="timeAttentionOn">Time the attention, synchronising this device (null: no timing).</param>
    /// <param name="costModel">The device's cost model, which picks the window implementation (null: the built-in choice).</param>
    public PlanDenoiser(CompressionPlan? plan, int chunks, bool guided, CfgBatchOrder order, long? cacheCapBytes, Device? timeAttentionOn = null,
        IAttentionCostModel? costModel = null)
    {
        long? capPerChunk = cacheCapBytes is long cap ? cap / chunks : null;
        _runners = plan is null
            ? Enumerable.Repeat<ISelfAttentionRunner>(FullAttentionRunner.Instance, chunks).ToArray()
            : Enumerable.Range(0, chunks).Select(_ => Runner(plan, guided, order, capPerChunk, costModel)).ToArray();
        if (timeAttentionOn is Device device) _runners = _runners.Select(r => (ISelfAttentionRunner)new TimedAttentionRunner(r, device)).ToArray();
    }

    public int Fallbacks => Plans.Sum(r => r.Fallbacks) + Blocks.Sum(r => r.Fallbacks);

    public long PeakCacheBytes => Plans.Sum(r => r.PeakCacheBytes) + Blocks.Sum(r => r.PeakCacheBytes);

    /// <summary>Time spent in each part of the transformer, when timed.</summary>
    public ModuleTimes? ModuleTimes => _runners.Length > 0 && _runners[0] is TimedAttentionRunner
        ? _runners.OfType<TimedAttentionRunner>().Select(r => r.Times).Aggregate((a, b) => a + b)
        : null;

    private IEnumerable<FastAttentionRunner> Plans => Unwrapped.OfType<FastAttentionRunner>();

    private IEnumerable<BlockPlanRunner> Blocks => Unwrapped.OfType<BlockPlanRunner>();

    private IEnumerable<ISelfAttentionRunner> Unwrapped => _runners.Select(r => r is TimedAttentionRunner t ? t.Inner : r);

    /// <summary>One chunk's runner: attention only, or with the block-scope plan's feed-forward and block caches.</summary>
    private static ISelfAttentionRunner Runner(CompressionPlan plan, bool guided, CfgBatchOrder order, long? cap, IAttentionCostModel? costModel)
    {
        var attention = new FastAttentionRunner(plan.Methods, _ => plan.Key.Window, guided, order, cacheCapBytes: cap, costModel);
        return plan.Blocks is BlockMethod[][] blocks ? new BlockPlanRunner(attention, blocks, cap) : attention;
    }

    public void BeginStep(int step)
    {
        foreach (var r in _runners) r.BeginStep(step);
    }

    public Tensor Forward(int chunk, ITransformerPass pass) => pass.Run(_runners[chunk]);

    public void Dispose()
    {
        foreach (var r in Plans) r.Dispose();
        foreach (var r in Blocks) r.Dispose();
    }
}
