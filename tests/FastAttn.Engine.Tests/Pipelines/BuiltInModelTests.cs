using FastAttn.Engine.Checkpoints;
using FastAttn.Engine.Compression;
using FastAttn.Engine.Evaluation;
using FastAttn.Engine.Generation;
using FastAttn.Engine.Pipelines;
using FastAttn.Engine.Sampling;
using FastAttn.Engine.Tests.Support;
using Xunit;
using static TorchSharp.torch;

namespace FastAttn.Engine.Tests.Pipelines;

/// <summary>The shipped tiny-mnist model: it loads by name, draws the requested digits, and its plans fit it.</summary>
[Collection(SequentialCollection.Name)]
public class BuiltInModelTests
{
    [Fact]
    public void TinyMnistDrawsTheRequestedDigits()
    {
        using var loaded = DiTModelFolder.Load(BuiltInModels.Default);
        Assert.Equal(1, loaded.Pipeline.Transformer.Config.InChannels);
        using var classifier = new DigitClassifier();
        var folder = Path.GetDirectoryName(BuiltInModels.TryResolve(BuiltInModels.Default)!)!;
        var weights = StateDictReader.Read(Path.Combine(folder, "classifier.safetensors"));
        StrictStateDictLoader.Load(classifier, weights, "classifier");
        classifier.eval();
        var d = loaded.Defaults;
        using var result = loaded.Pipeline.Generate(new DiTGenerationRequest
        {
            ClassLabels = Enumerable.Range(0, 10).ToArray(), Seeds = [20], Steps = d.Steps,
            Scheduler = d.CreateScheduler(), GuidanceScale = d.GuidanceScale,
        });
        using var predicted = classifier.Predict(result.Images.clamp(-1, 1));
        int agree = Enumerable.Range(0, 10).Count(i => predicted[i].item<long>() == i);
        Assert.True(agree >= 9, $"the classifier agrees on {agree} of 10 digits: [{string.Join(", ", predicted.data<long>().ToArray())}]");
    }

    [Fact]
    public void ShippedPlansMatchTheModelAndD6CompressesMoreThanD1()
    {
        using var loaded = DiTModelFolder.Load(BuiltInModels.Default);
        var plans = Directory.GetFiles(loaded.ShippedPlans!, "*.json").Select(PlanSerializer.Load)
            .ToDictionary(p => CompressionPresets.NameOf(p.Key.Threshold, OutputKind.Image, p.Key.SearchScope)!);
        Assert.Equal(CompressionPresets.Names.Concat(CompressionPresets.BlockNames).Order(), plans.Keys.Order());
        var fingerprint = ModelFingerprint.Of(loaded.Pipeline.Transformer);
        foreach (var plan in plans.Values)
            PlanCompatibility.Check(plan, fingerprint, loaded.Pipeline.Transformer.Config.Depth, plan.Key.LatentHeight, loaded.Defaults.Steps,
                loaded.Defaults.Scheduler, loaded.Defaults.GuidanceScale);
        Assert.True(plans["D6"].Flops!.ModuleFraction < plans["D1"].Flops!.ModuleFraction);
        Assert.True(plans["D6"].Flops!.ModuleFraction <= 0.6, $"D6 attention FLOPs {plans["D6"].Flops!.ModuleFraction:P1}");
        Assert.True(plans["B6"].Flops!.TransformerFraction < plans["B1"].Flops!.TransformerFraction);
        Assert.True(plans["B3"].Flops!.TransformerFraction < plans["D3"].Flops!.TransformerFraction);
    }
}
