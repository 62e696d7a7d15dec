using System.Diagnostics;
using FastAttn.Engine.Models.TextEncoder;
using TorchSharp;
using static TorchSharp.torch;

namespace FastAttn.Engine.Benchmarks;

/// <summary>What encoding a prompt cost in memory and time.</summary>
/// <param name="Config">The encoder's shape.</param>
/// <param name="WeightDType">Weight dtype.</param>
/// <param name="Parameters">Parameter count.</param>
/// <param name="WeightBytes">Bytes the weights take.</param>
/// <param name="ResidentAfterLoadBytes">Process resident memory once the encoder exists.</param>
/// <param name="PeakResidentBytes">Peak resident memory of the process while encoding (Linux VmHWM, reset before).</param>
/// <param name="EncodeSeconds">Wall time of the encoding.</param>
public sealed record TextEncoderMemoryRow(T5Config Config, ScalarType WeightDType, long Parameters, long WeightBytes, long ResidentAfterLoadBytes,
    long PeakResidentBytes, double EncodeSeconds);

/// <summary>
/// Builds a random-weight T5 encoder of a given shape directly in the weight dtype (never an fp32 copy: PixArt's XXL
/// encoder is 19 GB in fp32) and measures the process's peak resident memory while it encodes one prompt.
/// </summary>
public static class TextEncoderMemoryBenchmark
{
    /// <summary>Prompt tokens the text-to-image models encode (300).</summary>
    public const int DefaultTokens = T5Tokenizer.PixArtMaxLength;

    /// <summary>The encoder shapes by name: xxl (T5-v1.1-XXL, the text-conditioned models' encoder) and tiny.</summary>
    public static IReadOnlyDictionary<string, T5Config> Configs { get; } = new Dictionary<string, T5Config>(StringComparer.OrdinalIgnoreCase)
    {
        ["xxl"] = T5Config.V11Xxl,
        ["tiny"] = new T5Config(100, 32, 8, 4, 64, 2),
    };

    /// <summary>The encoder shape named <paramref name="name"/>; an unknown name is an error listing <see cref="Configs"/>.</summary>
    public static T5Config Config(string name) =>
        Configs.TryGetValue(name?.Trim() ?? "", out var config) ? config
            : throw new NotSupportedException($"Unknown --config '{name}'. Allowed: {string.Join(", ", Configs.Keys)}.");

    /// <summary>Runs the measurement (Linux: reads and resets /proc/self peak RSS).</summary>
    public static TextEncoderMemoryRow Run(T5Config config, ScalarType dtype, int tokens, IProgress<string>? progress = null)
    {
        ArgumentNullException.ThrowIfNull(config);
        if (!OperatingSystem.IsLinux()) throw new PlatformNotSupportedException("The memory benchmark reads /proc/self (Linux).");
        if (tokens < 1) throw new ArgumentOutOfRangeException(nameof(tokens), "At least one token is required.");
        var previous = get_default_dtype();
        T5Encoder encoder;
        try
        {
            set_default_dtype(dtype);                                                          // parameters born in the weight dtype
            manual_seed(0);
            progress?.Report($"building a random {config.NumLayers}-layer, d_model {config.DModel} encoder in {dtype} ...");
            using (no_grad()) encoder = new T5Encoder(config);
        }
        finally
        {
            set_default_dtype(previous);
        }
        using (encoder)
        {
            encoder.eval();
            long parameters = encoder.parameters().Sum(p => p.numel());
            long bytes = encoder.parameters().Sum(p => p.numel() * p.ElementSize);
            GC.Collect();
            long afterLoad = ProcessMemory.ResidentBytes();
            ProcessMemory.ResetPeak();
            progress?.Report($"encoding {tokens} tokens ...");
            var stopwatch = Stopwatch.StartNew();
            using (no_grad())
            using (var ids = randint(2, config.VocabSize, [1, tokens], dtype: ScalarType.Int64))
            using (var mask = ones(1, tokens, ScalarType.Int64))
            using (var hidden = encoder.forward(ids, mask)) { }
            stopwatch.Stop();
            return new TextEncoderMemoryRow(config, dtype, parameters, bytes, afterLoad, Math.Max(ProcessMemory.PeakResidentBytes(), afterLoad),
                stopwatch.Elapsed.TotalSeconds);
        }
    }
}

/// <summary>The process's resident memory from /proc/self (Linux).</summary>
internal static class ProcessMemory
{
    public static long ResidentBytes() => Field("VmRSS:");

    public static long PeakResidentBytes() => Field("VmHWM:");

    /// <summary>Resets the peak (VmHWM) to the current resident size ("5" to /proc/self/clear_refs); false where not allowed.</summary>
    public static bool ResetPeak()
    {
        try
        {
            File.WriteAllText("/proc/self/clear_refs", "5");
            return true;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return false;
        }
    }

    private static long Field(string name)
    {
        foreach (var line in File.ReadLines("/proc/self/status"))
            if (line.StartsWith(name, StringComparison.Ordinal))
                return long.Parse(line[name.Length..].Trim().Split(' ')[0], System.Globalization.CultureInfo.InvariantCulture) * 1024;
        throw new InvalidOperationException($"/proc/self/status has no {name}.");
    }
}
