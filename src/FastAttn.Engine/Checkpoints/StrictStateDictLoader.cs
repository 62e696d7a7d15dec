using TorchSharp;
using static TorchSharp.torch;

namespace FastAttn.Engine.Checkpoints;

/// <summary>Copies a state dict into a module after checking that keys and shapes match exactly.</summary>
public static class StrictStateDictLoader
{
    /// <summary>
    /// Checks <paramref name="stateDict"/> against <paramref name="module"/>'s own state dict and copies the values
    /// (converting dtype and device). Throws <see cref="CheckpointMismatchException"/> listing every missing,
    /// unexpected and mis-shaped key; nothing is copied in that case.
    /// </summary>
    public static void Load(nn.Module module, IReadOnlyDictionary<string, Tensor> stateDict, string source)
    {
        ArgumentNullException.ThrowIfNull(module);
        ArgumentNullException.ThrowIfNull(stateDict);
        var target = module.state_dict();
        Check(target.ToDictionary(kv => kv.Key, kv => kv.Value.shape), stateDict.ToDictionary(kv => kv.Key, kv => kv.Value.shape), source);
        using var noGrad = no_grad();
        foreach (var (key, dest) in target)
            dest.copy_(stateDict[key]);
    }

    /// <summary>
    /// Creates a module with <paramref name="create"/>, loads <paramref name="weights"/> strictly, switches it to eval and
    /// moves it to <paramref name="dtype"/> and <paramref name="device"/>; the module is disposed if any of that fails.
    /// </summary>
    public static T Build<T>(Func<T> create, IReadOnlyDictionary<string, Tensor> weights, string source, ScalarType dtype = ScalarType.Float32,
        Device? device = null) where T : nn.Module
    {
        ArgumentNullException.ThrowIfNull(create);
        var module = create();
        try
        {
            Load(module, weights, source);
            module.eval();
            if (device is not null || dtype != ScalarType.Float32) module.to(device ?? CPU, dtype);
            return module;
        }
        catch
        {
            module.Dispose();
            throw;
        }
    }

    /// <summary>Compares expected and given key → shape maps; throws <see cref="CheckpointMismatchException"/> on any difference.</summary>
    public static void Check(IReadOnlyDictionary<string, long[]> expected, IReadOnlyDictionary<string, long[]> given, string source)
    {
        var missing = expected.Keys.Where(k => !given.ContainsKey(k)).Order(StringComparer.Ordinal).ToList();
        var unexpected = given.Keys.Where(k => !expected.ContainsKey(k)).Order(StringComparer.Ordinal).ToList();
        var mismatched = expected.Where(kv => given.TryGetValue(kv.Key, out var s) && !s.SequenceEqual(kv.Value))
            .Select(kv => $"{kv.Key}: checkpoint [{string.Join(", ", given[kv.Key])}] vs model [{string.Join(", ", kv.Value)}]")
            .Order(StringComparer.Ordinal).ToList();
        if (missing.Count + unexpected.Count + mismatched.Count > 0)
            throw new CheckpointMismatchException(source, missing, unexpected, mismatched);
    }
}
