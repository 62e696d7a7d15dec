using FastAttn.Cli;
using FastAttn.Engine.Attention;
using FastAttn.Engine.Compression;
using SixLabors.ImageSharp;
using Xunit;

namespace FastAttn.Cli.Tests;

/// <summary><c>fastattn plan import</c> on the files xDiT and the official DiTFastAttn repository write, then a generation with the plan.</summary>
[Collection("cli")]
public sealed class PlanImportTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("fastattn-import-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Theory]
    [InlineData("tiny-mnist-4steps.xdit.json", "import")]
    [InlineData("tiny-mnist-4steps.xdit.json", "import-xdit")]
    [InlineData("tiny-mnist-4steps.ditfastattn.json", "import")]
    public async Task AForeignPlanImportsAndRuns(string file, string verb)
    {
        var source = Path.Combine(AppContext.BaseDirectory, "TestData", "xdit", file);
        var plan = Path.Combine(_dir, "plan.json");
        string[] settings = ["--model", "tiny-mnist", "--steps", "4", "--plan-dir", Path.Combine(_dir, "plans")];
        Assert.Equal(0, await CliApp.RunAsync(["plan", verb, source, .. settings, "--threshold", "0.075", "--out", plan]));
        var imported = PlanSerializer.Load(plan);
        Assert.Equal((4, 6), (imported.Methods.Length, imported.Layers));
        Assert.Equal(AttentionMethod.WindowResidualCfgShare, imported.Methods[1][0]);          // RESIDUAL_WINDOW_ATTN_CFG_SHARE
        var png = Path.Combine(_dir, "seven.png");
        Assert.Equal(0, await CliApp.RunAsync(["generate", "--model", "tiny-mnist", "--prompt", "a handwritten seven", "--seed", "0",
            "--steps", "4", "--plan", plan, "--out", png]));
        using var image = Image.Load(png);
        Assert.Equal((32, 32), (image.Width, image.Height));
    }

    [Fact]
    public async Task APickleThatCallsAnythingIsRefused()
    {
        var evil = Path.Combine(_dir, "evil.json");
        File.WriteAllBytes(evil, [0x80, 2, .. "cposix\nsystem\nX\x04\0\0\0true\x85R."u8]);
        Assert.Equal(2, await CliApp.RunAsync(["plan", "import", evil, "--model", "tiny-mnist", "--steps", "4", "--threshold", "0.075",
            "--plan-dir", Path.Combine(_dir, "plans")]));
        Assert.False(Directory.Exists(Path.Combine(_dir, "plans")) && Directory.EnumerateFiles(Path.Combine(_dir, "plans")).Any());
    }
}
