using System.Diagnostics;
using FastAttn.Engine.Attention;
using FastAttn.Engine.Pipelines;
using FastAttn.Engine.Sampling;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using TorchSharp;
using static TorchSharp.torch;

namespace FastAttn.Engine.Compression;

/// <summary>
/// The greedy compression-plan search (paper Alg. 1, as the reference code does it): the calibration batch is denoised
/// with the plan found so far; at each step after the first, the uncompressed output O is computed from the current
/// latents, then for each layer i in order the candidates are tried in order and the first whose mean relative absolute
/// error against O is below (i+1)/L·δ is kept (else full attention); earlier choices stay active while later layers are
/// tried. Trials write no caches, so every step's caches are exactly what a generation with the final plan has.
/// With prefix reuse, layer i's input is computed once and each candidate only reruns layers i..L−1.
/// </summary>
public sealed class GreedyPlanSearch
{
    private readonly DiTPipeline _pipeline;
    private readonly ILogger _logger;

    /// <summary>Creates a search over <paramref name="pipeline"/>'s transformer.</summary>
    public GreedyPlanSearch(DiTPipeline pipeline, ILogger<GreedyPlanSearch>? logger = null)
    {
        _pipeline = pipeline ?? throw new ArgumentNullException(nameof(pipeline));
        _logger = (ILogger?)logger ?? NullLogger.Instance;
    }

    /// <summary>Runs the search. Honours <paramref name="cancellationToken"/> between layers.</summary>
    public CompressionPlan Search(PlanSearchOptions options, IProgress<PlanSearchProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (options.Threshold < 0 || double.IsNaN(options.Threshold)) throw new ArgumentOutOfRangeException(nameof(options), $"The threshold δ must be ≥ 0; got {options.Threshold}.");
        var model = _pipeline.Transformer;
        var config = model.Config;
        int size = options.LatentSize ?? config.InputSize;
        int tokens = (size / config.PatchSize) * (size / config.PatchSize);
        var window = options.Window ?? WindowSpec.ForTokens(tokens);
        var labels = options.CalibrationLabels?.ToArray() ?? RandomLabels(options.CalibrationCount, config.NumClasses, options.CalibrationSeed);
        bool guided = options.GuidanceScale > 1.0;
        var candidates = options.Candidates.Where(m => guided || !m.SharesCfg()).ToArray();
        var methods = Enumerable.Range(0, options.Steps).Select(_ => Enumerable.Repeat(AttentionMethod.Full, config.Depth).ToArray()).ToArray();
        var stopwatch = Stopwatch.StartNew();
        Func<Tensor, Tensor>? metricView = options.Metric == SearchMetric.GuidedOutput && guided
            ? output => ClassifierFreeGuidance.Combine(output, options.GuidanceScale, config.InChannels, options.GuidedChannels, CfgBatchOrder.ConditionalFirst)
            : null;
        using var denoiser = new SearchDenoiser(model, methods, candidates, options.Threshold, guided, window, options.PrefixReuse, metricView,
            progress, options.Steps, cancellationToken);
        var request = new DiTGenerationRequest
        {
            ClassLabels = labels,
            Seeds = [options.CalibrationSeed],
            Steps = options.Steps,
            Scheduler = options.Scheduler,
            GuidanceScale = options.GuidanceScale,
            GuidedChannels = options.GuidedChannels,
            Size = size,
            SamplesPerForward = 0,                                                          // the whole calibration batch at once
        };
        DiTPipeline.Validate(request, config);
        using (var sampled = _pipeline.Run(request, denoiser, null, cancellationToken)) { }
        stopwatch.Stop();
        var key = new PlanKey(ModelFingerprint.Of(model), size, options.Steps, options.Scheduler.Name, options.GuidanceScale, window,
            options.Threshold, CalibrationName(options, labels));
        var report = new PlanSearchReport(denoiser.ForwardEquivalents, stopwatch.Elapsed.TotalSeconds, options.PrefixReuse, labels, options.CalibrationSeed);
        _logger.LogInformation("Plan search δ={Threshold}: {Forwards:F1} forward-equivalents in {Seconds:F1}s", options.Threshold, denoiser.ForwardEquivalents, stopwatch.Elapsed.TotalSeconds);
        return new CompressionPlan(key, methods, report, new PlanModelShape(tokens, config.HiddenSize));
    }

    /// <summary>The key's calibration description.</summary>
    public static string CalibrationName(PlanSearchOptions options, IReadOnlyList<int> labels)
    {
        ArgumentNullException.ThrowIfNull(options);
        var name = options.CalibrationLabels is null
            ? $"labels:random{options.CalibrationCount},seed:{options.CalibrationSeed}"
            : $"labels:{string.Join(',', labels)},seed:{options.CalibrationSeed}";
        return options.Metric == SearchMetric.GuidedOutput && options.GuidanceScale > 1.0 ? name + ",metric:guided" : name;
    }

    /// <summary>Calibration labels drawn uniformly from 0..classes−1 with a seeded generator.</summary>
    public static int[] RandomLabels(int count, int classes, long seed)
    {
        if (count < 1) throw new ArgumentOutOfRangeException(nameof(count), "At least one calibration sample is required.");
        using var g = new torch.Generator(unchecked((ulong)seed));
        using var draw = randint(0, classes, [count], ScalarType.Int64, generator: g);
        return draw.data<long>().Select(v => (int)v).ToArray();
    }

    /// <summary>The denoiser that decides each step's methods while the calibration batch is sampled.</summary>
    private sealed class SearchDenoiser : IDenoiser
    {
        private readonly Models.DiT.DiTModel _model;
        private readonly AttentionMethod[][] _methods;
        private readonly AttentionMethod[] _candidates;
        private readonly double _threshold;
        private readonly bool _prefixReuse;
        private readonly Func<Tensor, Tensor>? _metricView;
        private readonly FastAttentionRunner _runner;
        private readonly IProgress<PlanSearchProgress>? _progress;
        private readonly int _steps;
        private readonly CancellationToken _cancel;
        private int _step;

        public SearchDenoiser(Models.DiT.DiTModel model, AttentionMethod[][] methods, AttentionMethod[] candidates, double threshold, bool guided,
            WindowSpec window, bool prefixReuse, Func<Tensor, Tensor>? metricView, IProgress<PlanSearchProgress>? progress, int steps, CancellationToken cancel)
        {
            _metricView = metricView;
            _model = model;
            _methods = methods;
            _candidates = candidates;
            _threshold = threshold;
            _prefixReuse = prefixReuse;
            _progress = progress;
            _steps = steps;
            _cancel = cancel;
            _runner = new FastAttentionRunner(methods, _ => window, guided, CfgBatchOrder.ConditionalFirst, searchMode: true);
        }

        public double ForwardEquivalents { get; private set; }

        private int Depth => _model.Config.Depth;

        public void BeginStep(int step)
        {
            _step = step;
            _runner.BeginStep(step);
            _progress?.Report(new PlanSearchProgress(step, _steps, -1, Depth, ForwardEquivalents));
        }

        public Tensor Forward(int chunk, Tensor modelInput, Tensor timesteps, Tensor labels)
        {
            using var scope = NewDisposeScope();
            using var state = _model.Prepare(modelInput, timesteps, labels);
            Tensor output;
            if (_step == 0 || _threshold <= 0)
            {
                _runner.WriteMode = CacheWriteMode.Commit;                                   // step 0 (and δ = 0) stay full
                output = RunFrom(0, state.Tokens, state);
            }
            else
            {
                _runner.WriteMode = CacheWriteMode.Discard;
                var reference = RunFrom(0, state.Tokens, state);                            // O: every layer full at this step
                output = _prefixReuse ? DecideWithPrefixReuse(state, reference) : DecidePlain(state, reference);
            }
            _runner.WriteMode = CacheWriteMode.Commit;
            return output.MoveToOuterDisposeScope();
        }

        private Tensor DecidePlain(Models.DiT.DiTForwardState state, Tensor reference)
        {
            for (int i = 0; i < Depth; i++)
            {
                _cancel.ThrowIfCancellationRequested();
                var chosen = AttentionMethod.Full;
                foreach (var m in _candidates)
                {
                    _methods[_step][i] = m;
                    using var trial = RunFrom(0, state.Tokens, state);
                    if (Loss(reference, trial) < Threshold(i)) { chosen = m; break; }
                }
                _methods[_step][i] = chosen;
                _progress?.Report(new PlanSearchProgress(_step, _steps, i, Depth, ForwardEquivalents));
            }
            _runner.WriteMode = CacheWriteMode.Commit;
            return RunFrom(0, state.Tokens, state);                                          // the step with the final plan, caches written
        }

        private Tensor DecideWithPrefixReuse(Models.DiT.DiTForwardState state, Tensor reference)
        {
            var h = state.Tokens;                                                            // layer i's input, with the final methods of 0..i−1
            Tensor? output = null;
            for (int i = 0; i < Depth; i++)
            {
                _cancel.ThrowIfCancellationRequested();
                bool decided = false;
                foreach (var m in _candidates)
                {
                    _methods[_step][i] = m;
                    _runner.WriteMode = CacheWriteMode.PendingLayer;
                    _runner.PendingLayer = i;
                    var next = Block(i, h, state);
                    _runner.WriteMode = CacheWriteMode.Discard;
                    var trial = RunFrom(i + 1, next, state);
                    if (Loss(reference, trial) < Threshold(i))
                    {
                        _runner.PromotePending();
                        if (!ReferenceEquals(h, state.Tokens)) h.Dispose();
                        h = next;
                        if (i == Depth - 1) output = trial; else trial.Dispose();
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
                    var next = Block(i, h, state);
                    if (!ReferenceEquals(h, state.Tokens)) h.Dispose();
                    h = next;
                    if (i == Depth - 1) output = _model.Head(h, state);
                }
                _progress?.Report(new PlanSearchProgress(_step, _steps, i, Depth, ForwardEquivalents));
            }
            return output!;
        }

        /// <summary>The candidate's loss: MRAE of its output against the uncompressed one, on the chosen metric's view.</summary>
        private double Loss(Tensor reference, Tensor trial)
        {
            if (_metricView is null) return MeanRelativeAbsoluteError.Compute(reference, trial);
            using var scope = NewDisposeScope();
            return MeanRelativeAbsoluteError.Compute(_metricView(reference), _metricView(trial));
        }

        private double Threshold(int layer) => (layer + 1) / (double)Depth * _threshold;

        private Tensor Block(int i, Tensor h, Models.DiT.DiTForwardState state)
        {
            ForwardEquivalents += 1.0 / Depth;
            return _model.RunBlock(i, h, state, _runner);
        }

        /// <summary>Blocks <paramref name="first"/>..L−1 and the head from tokens <paramref name="h"/>.</summary>
        private Tensor RunFrom(int first, Tensor h, Models.DiT.DiTForwardState state)
        {
            using var scope = NewDisposeScope();
            for (int i = first; i < Depth; i++) h = Block(i, h, state);
            return _model.Head(h, state).MoveToOuterDisposeScope();
        }

        public void Dispose() => _runner.Dispose();
    }
}
