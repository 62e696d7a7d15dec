using FastAttn.Engine.Families.Random;
using FastAttn.Plugin.Options;
using FastAttn.Plugin.Tests.Support;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace FastAttn.Plugin.Tests.Faults;

/// <summary>Engines for the fault-injection tests: a tiny random-weight model "m" in a folder of the test's own, logs captured.</summary>
internal static class FaultHosts
{
    /// <summary>Writes the tiny random model folder under <paramref name="root"/> and returns its path.</summary>
    public static string WriteModel(string root) => RandomModels.WriteFolder(Path.Combine(root, "model-m"),
        options: new RandomModelOptions { Seed = 5 });

    /// <summary>A started engine serving model "m" from <paramref name="modelPath"/> (default model), logging into <paramref name="logs"/>.</summary>
    public static Task<TestHost> StartAsync(string modelPath, LogCapture logs, Action<FastAttnOptions>? configure = null,
        Action<IServiceCollection>? services = null) =>
        TestHost.StartAsync(o =>
        {
            o.Models["m"] = new FastAttnModelOptions { Path = modelPath };
            o.DefaultModel = "m";
            configure?.Invoke(o);
        }, s =>
        {
            s.AddSingleton<ILoggerProvider>(logs);
            services?.Invoke(s);
        });

    /// <summary>The files in <paramref name="folder"/> (none when it does not exist), temporary ones included.</summary>
    public static string[] Files(string folder) => Directory.Exists(folder) ? Directory.GetFiles(folder).Select(f => Path.GetFileName(f)).ToArray() : [];

    /// <summary>Asserts <paramref name="bytes"/> decode as an image.</summary>
    public static void AssertImage(byte[] bytes)
    {
        using var image = SixLabors.ImageSharp.Image.Load(bytes);
        Xunit.Assert.True(image.Width > 0);
    }
}
