using TorchSharp;
using static TorchSharp.torch;

namespace FastAttn.Engine.Tests.Support;

/// <summary>Paths to the test data copied next to the test assembly (tests/data → TestData/).</summary>
internal static class TestData
{
    public static string Root => Path.Combine(AppContext.BaseDirectory, "TestData");

    public static string Golden(params string[] parts) => Path.Combine([Root, "golden", .. parts]);

    /// <summary>Loads every tensor of a safetensors file.</summary>
    public static Dictionary<string, Tensor> Load(string path) =>
        new(TorchSharp.PyBridge.Safetensors.LoadStateDict(path));
}
