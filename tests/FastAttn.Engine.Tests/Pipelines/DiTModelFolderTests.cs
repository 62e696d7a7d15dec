using FastAttn.Engine.Models.DiT;
using FastAttn.Engine.Pipelines;
using FastAttn.Engine.Sampling;
using FastAttn.Engine.Tests.Support;
using TorchSharp.PyBridge;
using Xunit;
using static TorchSharp.torch;

namespace FastAttn.Engine.Tests.Pipelines;

public sealed class DiTModelFolderTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("fastattn-folder-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private static void CopyDirectory(string from, string to)
    {
        Directory.CreateDirectory(to);
        foreach (var f in Directory.GetFiles(from)) File.Copy(f, Path.Combine(to, Path.GetFileName(f)));
    }

    [Fact]
    public void LoadsADiffusersPipelineFolderWithItsVae()
    {
        CopyDirectory(TestData.Golden("dit-diffusers-tiny", "transformer"), Path.Combine(_dir, "transformer"));
        CopyDirectory(TestData.Golden("vae-tiny"), Path.Combine(_dir, "vae"));
        File.WriteAllText(Path.Combine(_dir, "model_index.json"), "{\"_class_name\": \"DiTPipeline\"}");
        using var loaded = DiTModelFolder.Load(_dir);
        Assert.NotNull(loaded.Pipeline.Decoder);
        Assert.Equal(10, loaded.Labels.Count);
        using var result = loaded.Pipeline.Generate(new DiTGenerationRequest { ClassLabels = [1], Steps = 2, Scheduler = SchedulerRegistry.Get("ddim"), GuidanceScale = 1 });
        Assert.Equal(new long[] { 1, 3, 64, 64 }, result.Images.shape);
    }

    [Fact]
    public void ALatentModelWithoutAVaeIsAClearError()
    {
        File.Copy(TestData.Golden("dit-tiny", "weights.safetensors"), Path.Combine(_dir, "model.safetensors"));
        var e = Assert.Throws<InvalidOperationException>(() => DiTModelFolder.Load(Path.Combine(_dir, "model.safetensors")));
        Assert.Contains("--vae", e.Message);
    }

    [Fact]
    public void PixelSpaceModelsNeedNoVaeAndUseTheirClassNames()
    {
        // A 1-channel model without learned sigma (fixed variance for IDDPM) and its own class names.
        manual_seed(2);
        using var model = new DiTModel(new DiTConfig(8, 2, 1, 32, 2, 2, 3, LearnSigma: false));
        var path = Path.Combine(_dir, "pixels.safetensors");
        Safetensors.SaveStateDict(path, model.state_dict());
        File.WriteAllText(Path.Combine(_dir, "config.json"), FastAttn.Engine.Checkpoints.DiTConfigJson.ToReferenceJson(model.Config));
        File.WriteAllLines(Path.Combine(_dir, "classes.txt"), ["circle", "square", "triangle"]);
        using var loaded = DiTModelFolder.Load(path);
        Assert.Null(loaded.Pipeline.Decoder);
        Assert.Equal(2, loaded.Labels.Resolve("triangle"));
        using var result = loaded.Pipeline.Generate(new DiTGenerationRequest { ClassLabels = [2], Steps = 5, Scheduler = SchedulerRegistry.Get("iddpm"), GuidanceScale = 2 });
        Assert.Equal(new long[] { 1, 1, 8, 8 }, result.Images.shape);
        Assert.False(result.Images.isnan().any().item<bool>());
    }
}

public class BuiltInModelNameTests
{
    [Theory]
    [InlineData("no-such-model")]
    [InlineData("../tiny-mnist")]
    [InlineData("model.pt")]
    public void NamesThatAreNotBuiltInModelsResolveToNothing(string name) => Assert.Null(BuiltInModels.TryResolve(name));
}
