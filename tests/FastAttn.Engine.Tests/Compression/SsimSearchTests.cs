using FastAttn.Engine.Attention;
using FastAttn.Engine.Compression;
using FastAttn.Engine.Pipelines;
using FastAttn.Engine.Sampling;
using FastAttn.Engine.Tests.Support;
using Xunit;
using static TorchSharp.torch;

namespace FastAttn.Engine.Tests.Compression;

[Collection(SequentialCollection.Name)]
public class SsimSearchTests
{
    private static DiTPlanSearchOptions Options(double threshold, SearchMetric metric) => new()
    {
        Threshold = threshold, Steps = 6, Scheduler = SchedulerRegistry.Get("ddim"), GuidanceScale = 4, CalibrationCount = 2,
        CandidateOrder = CandidateOrder.Reference, Metric = metric,
    };

    [Fact]
    public void AnSsimSearchGivesAPlanWhoseKeyAndFileNameSaySsimAndIsNeverFoundForMrae()
    {
        using var model = TinyModels.SamplingDiT();
        var search = new DiTPlanSearch(new DiTPipeline(model, null));
        var plan = search.Search(Options(CompressionPresets.Threshold("D6"), SearchMetric.Ssim));
        var raw = search.KeyFor(Options(CompressionPresets.Threshold("D6"), SearchMetric.RawOutput));
        Assert.Equal(SearchMetric.Ssim, plan.Key.Metric);
        Assert.Contains("-D6-ssim-", plan.Key.FileName, StringComparison.Ordinal);
        Assert.Contains("|metric:ssim", plan.Key.CanonicalText, StringComparison.Ordinal);
        Assert.DoesNotContain("ssim", raw.FileName, StringComparison.Ordinal);
        Assert.NotEqual(raw.FileName, plan.Key.FileName);
        Assert.Equal(raw with { Metric = SearchMetric.Ssim }, plan.Key);
        Assert.True(plan.Counts()[AttentionMethod.Full] < plan.Methods.Length * plan.Layers, "D6 on 1 − SSIM compresses something");

        var request = new DiTGenerationRequest { ClassLabels = [0], Steps = 6, Scheduler = SchedulerRegistry.Get("ddim"), GuidanceScale = 4 };
        var lookup = search.OptionsFor(request, plan.Key.Threshold, new PlanSearchSettings
        {
            CalibrationCount = 2, Metric = SearchMetric.Ssim, CandidateOrder = CandidateOrder.Reference,
        });
        Assert.Equal(plan.Key, search.KeyFor(lookup));
        var dir = Directory.CreateTempSubdirectory("ssim-plans").FullName;
        try
        {
            new PlanDirectory(dir).Save(plan);
            Assert.Equal(SearchMetric.Ssim, PlanLookup.Find(plan.Key, [dir])!.Value.Plan.Key.Metric);  // written and read back typed
            Assert.Null(PlanLookup.Find(raw, [dir]));
            Assert.Null(PlanLookup.Find(raw with { Metric = SearchMetric.GuidedOutput }, [dir]));
        }
        finally { Directory.Delete(dir, recursive: true); }
    }

    [Fact]
    public void ZeroThresholdStaysFullAndUnguidedSsimKeepsItsMetric()
    {
        using var model = TinyModels.SamplingDiT();
        var search = new DiTPlanSearch(new DiTPipeline(model, null));
        var zero = search.Search(Options(0, SearchMetric.Ssim));
        Assert.All(zero.Methods.SelectMany(r => r), m => Assert.Equal(AttentionMethod.Full, m));
        var unguided = search.Search(Options(0.2, SearchMetric.Ssim) with { GuidanceScale = 1 });
        Assert.Equal(SearchMetric.Ssim, unguided.Key.Metric);                               // no CFG: still SSIM, unlike "guided"
    }

    [Fact]
    public void TheSsimMetricComparesDecodedImages()
    {
        using var model = TinyModels.SamplingDiT();
        var decoder = new CountingDecoder();
        var options = Options(CompressionPresets.Threshold("D4"), SearchMetric.Ssim) with { Steps = 4 };
        var plan = new DiTPlanSearch(new DiTPipeline(model, decoder)).Search(options);
        Assert.Equal(SearchMetric.Ssim, plan.Key.Metric);
        Assert.True(decoder.Calls > 5, $"{decoder.Calls} decodes: one for each step's uncompressed output and each candidate");
        Assert.Equal(2, decoder.LastBatch);                                                  // the guided calibration batch, not the CFG batch
        var mrae = new CountingDecoder();
        new DiTPlanSearch(new DiTPipeline(model, mrae)).Search(options with { Metric = SearchMetric.RawOutput });
        Assert.Equal(1, mrae.Calls);                                                         // only the final image
    }

    /// <summary>A stand-in VAE: 3 channels at twice the size from the first 3 latent channels.</summary>
    private sealed class CountingDecoder : ILatentDecoder
    {
        public int Calls { get; private set; }

        public long LastBatch { get; private set; }

        public Tensor Decode(Tensor latents)
        {
            Calls++;
            LastBatch = latents.shape[0];
            using var scope = NewDisposeScope();
            var rgb = tanh(latents[.., ..3]);
            return nn.functional.interpolate(rgb, scale_factor: [2.0, 2.0], mode: InterpolationMode.Nearest).MoveToOuterDisposeScope();
        }
    }
}
