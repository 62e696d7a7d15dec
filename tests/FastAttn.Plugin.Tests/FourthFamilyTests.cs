using FastAttn.Engine.Compression;
using FastAttn.Plugin.DependencyInjection;
using FastAttn.Plugin.Hosting;
using FastAttn.Plugin.SemanticKernel;
using FastAttn.Plugin.Tests.Support;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.SemanticKernel;
using Xunit;

namespace FastAttn.Plugin.Tests;

/// <summary>
/// A fourth model family added by the application alone (<see cref="GradientFamily"/>, defined in this test project):
/// it generates through the engine, the <c>generate_image</c> kernel function and <see cref="IImageGenerator"/>, with its
/// plan searched once on demand and found again — no Engine, plugin or cluster code knows it.
/// </summary>
[Collection(EngineCollection.Name)]
public class FourthFamilyTests
{
    private static readonly TimeSpan HangGuard = TimeSpan.FromMinutes(2);

    [Fact]
    public async Task A_family_defined_by_the_app_generates_through_every_face_and_searches_its_plan_once()
    {
        var family = new GradientFamily();
        await using var host = await TestHost.StartAsync(o =>
        {
            o.Models["grad"] = new Options.FastAttnModelOptions { Path = "gradient", Kind = "gradient" };
            o.DefaultModel = "grad";
            o.Preset = "D3";
            o.SearchOnDemand = true;
        }, services =>
        {
            services.AddFastAttnModelFamily(family);
            services.AddFastAttnImageGenerator();
        });
        var engine = host.Services.GetRequiredService<IFastAttnEngine>();

        var first = await engine.GenerateAsync(new FastAttnImageRequest { Prompt = "a sunset gradient", Seed = 5 }).WaitAsync(HangGuard);
        Assert.True(first.Compressed, string.Join(" ", first.Notes));
        Assert.True(first.AttentionFlopsFraction < 1);
        Assert.Equal(("grad", "D3", 16, 16), (first.Model, first.Preset, first.Width, first.Height));
        Assert.True(File.Exists(first.PlanPath), first.PlanPath);
        Assert.Equal(family.Name, PlanSerializer.Load(first.PlanPath!).Key.Calibration.Split(',')[0]);

        var kernel = new Kernel(host.Services);
        kernel.Plugins.AddFromObject(host.Services.GetRequiredService<FastAttnImagePlugin>(), "fastattn");
        var text = (await kernel.InvokeAsync("fastattn", "generate_image", new KernelArguments { ["prompt"] = "a sunset gradient", ["seed"] = 5L })
            .WaitAsync(HangGuard)).GetValue<string>()!;
        Assert.StartsWith("Saved the image to ", text, StringComparison.Ordinal);
        Assert.Contains("preset D3, attention FLOPs", text, StringComparison.Ordinal);
        var path = text["Saved the image to ".Length..].Split(' ')[0];
        Assert.Equal(first.Images[0].Png, await File.ReadAllBytesAsync(path));                      // same seed, same image

        var generator = host.Services.GetRequiredService<IImageGenerator>();
        var response = await generator.GenerateAsync(new ImageGenerationRequest("a sunset gradient"),
            new ImageGenerationOptions { AdditionalProperties = new() { ["seed"] = 6L } }).WaitAsync(HangGuard);
        var png = Assert.IsType<DataContent>(Assert.Single(response.Contents));
        Assert.Equal("image/png", png.MediaType);
        Assert.Equal(true, png.AdditionalProperties!["compressed"]);
        Assert.NotEqual(first.Images[0].Png, png.Data.ToArray());                                  // another seed, another image

        Assert.Equal(1, family.Searches);                                                           // searched once, then found again
        Assert.Equal(1, engine.Status.PlanSearches);
        Assert.Single(Directory.GetFiles(host.Plans, "*.json"));
    }

    [Fact]
    public async Task An_unknown_kind_names_the_registered_families()
    {
        var result = new Options.FastAttnOptionsValidator(Engine.Families.ModelFamilyRegistry.Default.With(new GradientFamily()))
            .Validate(null, new Options.FastAttnOptions { Models = { ["x"] = new Options.FastAttnModelOptions { Path = "p", Kind = "unet" } } });
        Assert.True(result.Failed);
        Assert.Contains("gradient", result.FailureMessage, StringComparison.Ordinal);
        await Task.CompletedTask;
    }
}
