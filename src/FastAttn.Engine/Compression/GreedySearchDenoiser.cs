using FastAttn.Engine.Attention;
using FastAttn.Engine.Attention.Costs;
using FastAttn.Engine.Models;
using FastAttn.Engine.Pipelines;
using FastAttn.Engine.Sampling;
using static TorchSharp.torch;

namespace FastAttn.Engine.Compression;

/// <summary>
/// The denoiser that decides each step's methods while a pipeline samples the calibration batch (paper Alg. 1 as the
/// reference code does it), for any transformer that exposes its pass by blocks. Step 0 stays full; at later steps the
/// all-full output O is computed from the step's input, then layer by layer the first candidate whose loss against O is
/// below (i+1)/L·δ is kept. Trials write no caches; with prefix reuse a candidate reruns only layers i..L−1. Which
/// candidates are tried, in which order, is the <see cref="CandidatePolicy"/>'s: the reference's, or by measured saving.
/// </summary>
internal sealed partial class GreedySearchDenoiser : IDenoiser
{
    private readonly AttentionMethod[][] _methods;
    private readonly CandidatePolicy _policy;
    private readonly double _threshold;
    private readonly bool _prefixReuse;
    private readonly Func<Tensor, Tensor>? _metricView;
    private Tensor? _referenceImage;
    private readonly BlockPlanRunner _runner;
    private readonly BlockMethod[][]? _blocks;
    private readonly bool _guided;
    private readonly IProgress<PlanSearchProgress>? _progress;
    private readonly int _steps;
    private readonly int _depth;
    private readonly CancellationToken _cancel;
    private int _step;

    /// <summary>
    /// The search state for <paramref name="options"/> on a model of <paramref name="depth"/> blocks and
    /// <paramref name="tokens"/> tokens: δ checked, window (N/8 by default), candidates (no CFG sharing without a CFG
    /// batch), an all-full plan to decide, and the guided metric's view (guidance over <paramref name="guidedChannels"/>
    /// of <paramref name="latentChannels"/>, in the model's CFG order; the learned-variance channels kept only when the
    /// sampler uses them, <paramref name="samplerUsesVariance"/>) when asked. With the measured order,
    /// <paramref name="costs"/> (at the search's shape on its device) order and filter the candidates. The SSIM metric
    /// decodes each step's x̂₀ estimate with <paramref name="decoder"/> (null: compares x̂₀ itself).
    /// </summary>
    public static GreedySearchDenoiser For(PlanSearchOptions options, int depth, int tokens, int latentChannels, GuidedChannels guidedChannels,
        CfgBatchOrder order, bool samplerUsesVariance, IProgress<PlanSearchProgress>? progress, CancellationToken cancel,
        AttentionCosts? costs = null, ILatentDecoder? decoder = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (options.Threshold < 0 || double.IsNaN(options.Threshold))
            throw new ArgumentOutOfRangeException(nameof(options), $"The threshold δ must be ≥ 0; got {options.Threshold}.");
        bool guided = options.GuidanceScale > 1.0;
        var candidates = options.Candidates.Where(m => guided || !m.SharesCfg()).ToArray();
        var policy = options.CandidateOrder == CandidateOrder.Measured
            ? CandidatePolicy.Measured(candidates, costs ?? throw new ArgumentException(
                "The measured candidate order needs the attention costs at the search's shape.", nameof(costs)), options.MinimumSaving)
            : CandidatePolicy.Reference(candidates);
        var methods = Enumerable.Range(0, options.Steps).Select(_ => Enumerable.Repeat(AttentionMethod.Full, depth).ToArray()).ToArray();
        var blocks = options.SearchScope == SearchScope.Block
            ? Enumerable.Range(0, options.Steps).Select(_ => Enumerable.Repeat(BlockMethod.Full, depth).ToArray()).ToArray()
            : null;
        Func<Tensor, Tensor> guidedView = output => samplerUsesVariance
            ? ClassifierFreeGuidance.Combine(output, options.GuidanceScale, latentChannels, guidedChannels, order)
            : ClassifierFreeGuidance.Combine(output, options.GuidanceScale, latentChannels, guidedChannels, order)[.., ..latentChannels];
        var metric = options.EffectiveMetric;
        return new GreedySearchDenoiser(methods, policy, options.Threshold, guided, order, options.Window ?? WindowSpec.ForTokens(tokens),
            options.PrefixReuse, metric == SearchMetric.GuidedOutput ? guidedView : null, progress, cancel, options.CostModel, blocks)
        {
            ImageMetric = metric == SearchMetric.Ssim ? new SearchImageMetric(guided ? guidedView : output => output, decoder) : null,
            Forecast = options.BlockForecast,
        };
    }

    /// <summary>Creates the search state.</summary>
    /// <param name="methods">The plan being decided (steps × layers, all full), written in place.</param>
    /// <param name="policy">Which candidates are tried at each (step, layer), in which order.</param>
    /// <param name="threshold">δ.</param>
    /// <param name="guided">Whether each forward is a CFG batch.</param>
    /// <param name="order">The model's CFG batch order.</param>
    /// <param name="window">The window.</param>
    /// <param name="prefixReuse">Reuse layer i's input across its candidates.</param>
    /// <param name="metricView">What the loss compares (null: the raw output).</param>
    /// <param name="progress">Progress per layer.</param>
    /// <param name="cancel">Checked between layers.</param>
    /// <param name="costModel">The device's cost model, which picks the window implementation (null: the built-in choice).</param>
    /// <param name="blocks">The block methods being decided (block scope; all full), written in place; null: attention scope.</param>
    public GreedySearchDenoiser(AttentionMethod[][] methods, CandidatePolicy policy, double threshold, bool guided, CfgBatchOrder order,
        WindowSpec window, bool prefixReuse, Func<Tensor, Tensor>? metricView, IProgress<PlanSearchProgress>? progress, CancellationToken cancel,
        Attention.Costs.IAttentionCostModel? costModel = null, BlockMethod[][]? blocks = null)
    {
        _blocks = blocks;
        _guided = guided;
        _methods = methods;
        _policy = policy;
        _threshold = threshold;
        _prefixReuse = prefixReuse;
        _metricView = metricView;
        _progress = progress;
        _steps = methods.Length;
        _depth = methods[0].Length;
        _cancel = cancel;
        Window = window;
        _runner = new BlockPlanRunner(new FastAttentionRunner(methods, _ => window, guided, order, searchMode: true, cacheCapBytes: null,
            costModel), blocks);
    }

    /// <summary>The SSIM metric's view (null: MRAE on the raw or guided output).</summary>
    public SearchImageMetric? ImageMetric { get; init; }

    /// <summary>The plan being decided ([step][layer]); complete once the calibration run has finished.</summary>
    public AttentionMethod[][] Methods => _methods;

    /// <summary>The block methods being decided ([step][layer]) in the block scope; null in the attention scope.</summary>
    public BlockMethod[][]? Blocks => _blocks;

    /// <summary>The window the plan uses.</summary>
    public WindowSpec Window { get; }

    /// <summary>The costs the candidates were ordered by (null: the reference order).</summary>
    public AttentionCosts? Costs => _policy.Costs;

    /// <summary>Candidates the measured order never tries at this shape (they are not measurably cheaper than full attention).</summary>
    public IReadOnlyList<AttentionMethod> NeverTried => _policy.NeverTried;

    /// <summary>Search cost in whole forward passes (blocks run / depth).</summary>
    public double ForwardEquivalents { get; private set; }

    public void BeginStep(int step)
    {
        _step = step;
        _runner.BeginStep(step);
        _progress?.Report(new PlanSearchProgress(step, _steps, -1, _depth, ForwardEquivalents));
    }

    public void BeginSample(IDiffusionScheduler scheduler, int step, Tensor sample) => ImageMetric?.BeginSample(scheduler, step, sample);

    public Tensor Forward(int chunk, ITransformerPass pass)
    {
        if (pass.Depth != _depth) throw new InvalidOperationException($"The plan has {_depth} layers; the transformer has {pass.Depth}.");
        using var scope = NewDisposeScope();
        Tensor output;
        if (_step == 0 || _threshold <= 0)
        {
            _runner.WriteMode = CacheWriteMode.Commit;                                       // step 0 (and δ = 0) stay full
            output = RunFrom(0, pass.Tokens, pass);
        }
        else
        {
            _runner.WriteMode = CacheWriteMode.Discard;
            var reference = RunFrom(0, pass.Tokens, pass);                                  // O: every layer full at this step
            _referenceImage = ImageMetric?.Image(reference);                                // decoded once per step (SSIM)
            output = _blocks is not null ? DecideBlocks(pass, reference)
                : _prefixReuse ? DecideWithPrefixReuse(pass, reference) : DecidePlain(pass, reference);
        }
        _runner.WriteMode = CacheWriteMode.Commit;
        _referenceImage = null;                                                             // freed with this scope
        return output.MoveToOuterDisposeScope();
    }

    private Tensor DecidePlain(ITransformerPass pass, Tensor reference)
    {
        for (int i = 0; i < _depth; i++)
        {
            _cancel.ThrowIfCancellationRequested();
            var chosen = AttentionMethod.Full;
            foreach (var m in _policy.For(_methods, _step, i))
            {
                _methods[_step][i] = m;
                using var trial = RunFrom(0, pass.Tokens, pass);
                if (Loss(reference, trial) < Threshold(i)) { chosen = m; break; }
            }
            _methods[_step][i] = chosen;
            _progress?.Report(new PlanSearchProgress(_step, _steps, i, _depth, ForwardEquivalents));
        }
        _runner.WriteMode = CacheWriteMode.Commit;
        return RunFrom(0, pass.Tokens, pass);                                                // the step with the final plan, caches written
    }

    private Tensor DecideWithPrefixReuse(ITransformerPass pass, Tensor reference)
    {
        var h = pass.Tokens;                                                                 // layer i's input, with the final methods of 0..i−1
        Tensor? output = null;
        for (int i = 0; i < _depth; i++)
        {
            _cancel.ThrowIfCancellationRequested();
            bool decided = false;
            foreach (var m in _policy.For(_methods, _step, i))
            {
                _methods[_step][i] = m;
                _runner.WriteMode = CacheWriteMode.PendingLayer;
                _runner.PendingLayer = i;
                var next = Block(i, h, pass);
                _runner.WriteMode = CacheWriteMode.Discard;
                var trial = RunFrom(i + 1, next, pass);
                if (Loss(reference, trial) < Threshold(i))
                {
                    _runner.PromotePending();
                    if (!ReferenceEquals(h, pass.Tokens)) h.Dispose();
                    h = next;
                    if (i == _depth - 1) output = trial; else trial.Dispose();
                    decided = true;
                    break;
                }
                _runner.DiscardPending();
                trial.Dispose();
                next.Dispose();
            }
            if (!decided)
            {
                _methods[_step][i] = AttentionMethod.Full;
                _runner.WriteMode = CacheWriteMode.Commit;
                var next = Block(i, h, pass);
                if (!ReferenceEquals(h, pass.Tokens)) h.Dispose();
                h = next;
                if (i == _depth - 1) output = pass.Head(h);
            }
            _progress?.Report(new PlanSearchProgress(_step, _steps, i, _depth, ForwardEquivalents));
        }
        return output!;
    }

    /// <summary>
    /// The candidate's loss: MRAE of its output against the uncompressed one, on the chosen metric's view, or 1 − SSIM of
    /// the images they lead to.
    /// </summary>
    private double Loss(Tensor reference, Tensor trial)
    {
        if (ImageMetric is not null) return ImageMetric.Loss(_referenceImage!, trial);
        if (_metricView is null) return MeanRelativeAbsoluteError.Compute(reference, trial);
        using var scope = NewDisposeScope();
        return MeanRelativeAbsoluteError.Compute(_metricView(reference), _metricView(trial));
    }

    private double Threshold(int layer) => (layer + 1) / (double)_depth * _threshold;

    private Tensor Block(int i, Tensor h, ITransformerPass pass)
    {
        ForwardEquivalents += 1.0 / _depth;
        return pass.RunBlock(i, h, _runner);
    }

    /// <summary>Blocks <paramref name="first"/>..L−1 and the head from tokens <paramref name="h"/>.</summary>
    private Tensor RunFrom(int first, Tensor h, ITransformerPass pass)
    {
        using var scope = NewDisposeScope();
        for (int i = first; i < _depth; i++) h = Block(i, h, pass);
        return pass.Head(h).MoveToOuterDisposeScope();
    }

    public void Dispose() => _runner.Dispose();
}
