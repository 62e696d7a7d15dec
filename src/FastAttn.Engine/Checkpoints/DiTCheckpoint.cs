using FastAttn.Engine.Models.DiT;
using TorchSharp;
using static TorchSharp.torch;

namespace FastAttn.Engine.Checkpoints;

/// <summary>
/// Loads DiT checkpoints: the reference <c>.pt</c> (torch.save zip), safetensors with reference keys, and diffusers
/// transformer folders. The architecture comes from the options, a config file or metadata, or the tensor shapes.
/// Loading is strict by default: one <see cref="CheckpointMismatchException"/> lists every missing, unexpected and
/// mis-shaped key. The stored <c>pos_embed</c> must equal the 2-D sin-cos table of its grid.
/// </summary>
public static class DiTCheckpoint
{
    private const string WeightsName = "diffusion_pytorch_model.safetensors";

    /// <summary>Loads the model at <paramref name="path"/> (a file, a diffusers transformer folder, or a pipeline folder).</summary>
    public static DiTModel Load(string path, DiTLoadOptions? options = null)
    {
        options ??= new DiTLoadOptions();
        var (file, format, diffusersConfig) = Resolve(path);
        var dict = ReadReferenceLayout(file, format, out bool perBlock);
        try
        {
            var (config, _) = ResolveConfig(file, format, diffusersConfig, dict, perBlock, options);
            var trained = config;
            if (options.InputSize is int size) config = config with { InputSize = size };
            if (options.Strict) GuardSize(config, dict, file);
            var model = new DiTModel(config);
            try
            {
                ValidateAndReplacePositions(dict, model, trained, file);
                if (options.Strict) StrictStateDictLoader.Load(model, dict, file);
                else LoadLenient(model, dict);
                model.eval();
                if (options.Device is not null || options.DType != ScalarType.Float32)
                    model.to(options.Device ?? CPU, options.DType);
                return model;
            }
            catch
            {
                model.Dispose();
                throw;
            }
        }
        finally
        {
            foreach (var t in dict.Values) t.Dispose();
        }
    }

    /// <summary>Reads the checkpoint and reports its layout, architecture, size and key check, without throwing on a mismatch.</summary>
    public static DiTCheckpointInfo Inspect(string path, DiTLoadOptions? options = null)
    {
        options ??= new DiTLoadOptions();
        var (file, format, diffusersConfig) = Resolve(path);
        var dtypes = new SortedSet<string>();
        var dict = ReadReferenceLayout(file, format, out bool perBlock, dtypes);
        try
        {
            var (config, configSource) = ResolveConfig(file, format, diffusersConfig, dict, perBlock, options);
            string? error = null;
            GuardSize(config, dict, file);
            using (var model = new DiTModel(config))
            {
                try
                {
                    if (dict.ContainsKey("pos_embed")) ValidateAndReplacePositions(dict, model, config, file);
                    else dict["pos_embed"] = model.state_dict()["pos_embed"].alias();
                    StrictStateDictLoader.Check(
                        model.state_dict().ToDictionary(kv => kv.Key, kv => kv.Value.shape),
                        dict.ToDictionary(kv => kv.Key, kv => kv.Value.shape), file);
                }
                catch (CheckpointMismatchException e) { error = e.Message; }
            }
            long count = dict.Where(kv => kv.Key != "pos_embed").Sum(kv => kv.Value.numel());
            return new DiTCheckpointInfo(file, format, config, configSource, count, dtypes.ToList(), error);
        }
        finally
        {
            foreach (var t in dict.Values) t.Dispose();
        }
    }

    /// <summary>Finds the weights file and its layout for a file or folder path.</summary>
    internal static (string File, DiTCheckpointFormat Format, string? DiffusersConfig) Resolve(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        if (File.Exists(path))
        {
            var kind = StateDictReader.Detect(path);
            return kind switch
            {
                StateDictReader.FileKind.TorchZip => (path, DiTCheckpointFormat.ReferencePt, null),
                StateDictReader.FileKind.Safetensors => (path, DiTCheckpointFormat.ReferenceSafetensors, DiffusersConfigBeside(path)),
                _ => throw new CheckpointFormatException(path, "not a torch.save zip archive nor a safetensors file."),
            };
        }
        if (!Directory.Exists(path)) throw new FileNotFoundException($"No checkpoint file or folder at '{path}'.", path);
        foreach (var dir in new[] { Path.Combine(path, "transformer"), path })
        {
            var cfg = Path.Combine(dir, "config.json");
            var weights = Path.Combine(dir, WeightsName);
            if (File.Exists(cfg) && File.Exists(weights)) return (weights, DiTCheckpointFormat.Diffusers, cfg);
            var index = weights + ".index.json";
            if (File.Exists(cfg) && File.Exists(index)) return (index, DiTCheckpointFormat.Diffusers, cfg);
        }
        var candidates = Directory.EnumerateFiles(path)
            .Where(f => f.EndsWith(".pt", StringComparison.OrdinalIgnoreCase) || f.EndsWith(".pth", StringComparison.OrdinalIgnoreCase)
                     || f.EndsWith(".safetensors", StringComparison.OrdinalIgnoreCase)).Order().ToList();
        if (candidates.Count == 1) return Resolve(candidates[0]);
        throw new CheckpointFormatException(path, candidates.Count == 0
            ? "the folder holds no DiT weights (expected transformer/config.json + diffusion_pytorch_model.safetensors, " +
              "or one .pt/.safetensors file)."
            : $"the folder holds several weight files ({string.Join(", ", candidates.Select(Path.GetFileName))}); name one.");
    }

    private static string? DiffusersConfigBeside(string file)
    {
        if (!Path.GetFileName(file).Equals(WeightsName, StringComparison.Ordinal)) return null;
        var cfg = Path.Combine(Path.GetDirectoryName(Path.GetFullPath(file))!, "config.json");
        return File.Exists(cfg) && File.ReadAllText(cfg).Contains("num_attention_heads", StringComparison.Ordinal) ? cfg : null;
    }

    private static Dictionary<string, Tensor> ReadReferenceLayout(string file, DiTCheckpointFormat format, out bool perBlock,
        SortedSet<string>? dtypes = null)
    {
        var dict = StateDictReader.Read(file, upcastToFloat32: dtypes is null);
        if (dtypes is not null)
        {
            foreach (var t in dict.Values) dtypes.Add(t.dtype.ToString());
            StateDictReader.UpcastInPlace(dict);
        }
        perBlock = false;
        if (format == DiTCheckpointFormat.Diffusers || DiffusersDiTKeyMap.IsDiffusersLayout(dict.Keys))
            dict = DiffusersDiTKeyMap.ToReference(dict, out perBlock);
        return dict;
    }

    private static (DiTConfig Config, string Source) ResolveConfig(string file, DiTCheckpointFormat format, string? diffusersConfig,
        Dictionary<string, Tensor> dict, bool perBlock, DiTLoadOptions options)
    {
        if (options.Config is DiTConfig given) return (given with { PerBlockConditioning = perBlock || given.PerBlockConditioning }, "options");
        if (diffusersConfig is not null)
            return (DiTConfigJson.ParseDiffusers(diffusersConfig) with { PerBlockConditioning = perBlock }, diffusersConfig);
        var dir = Path.GetDirectoryName(Path.GetFullPath(file))!;
        foreach (var candidate in new[] { Path.ChangeExtension(file, ".json"), Path.Combine(dir, "config.json") })
        {
            if (File.Exists(candidate) && File.ReadAllText(candidate).Contains("hidden_size", StringComparison.Ordinal))
                return (DiTConfigJson.ParseReference(File.ReadAllText(candidate), candidate), candidate);
        }
        if (format == DiTCheckpointFormat.ReferenceSafetensors)
        {
            var header = SafetensorsHeader.Read(file);
            if (header.Metadata.TryGetValue("config", out var json))
                return (DiTConfigJson.ParseReference(json, file + " (metadata)"), "safetensors metadata");
        }
        var shapes = dict.ToDictionary(kv => kv.Key, kv => kv.Value.shape);
        return (DiTConfigInference.Infer(shapes, file, options.NumHeads), "inferred from tensor shapes");
    }

    /// <summary>
    /// Checks the stored position table against the sin-cos table of its own grid, then puts the model's table
    /// (for the size it is built at) in its place. diffusers checkpoints store none.
    /// </summary>
    private static void ValidateAndReplacePositions(Dictionary<string, Tensor> dict, DiTModel model, DiTConfig trained, string file)
    {
        if (dict.Remove("pos_embed", out var stored))
        {
            using (stored)
            {
                if (stored.dim() != 3 || stored.shape[0] != 1 || stored.shape[2] != trained.HiddenSize)
                    throw new CheckpointMismatchException(file, [], [],
                        [$"pos_embed: checkpoint [{string.Join(", ", stored.shape)}] vs model [1, T, {trained.HiddenSize}]"]);
                int side = (int)Math.Round(Math.Sqrt(stored.shape[1]));
                using var expected = PositionEmbedding2D.Create(trained.HiddenSize, side, side);
                using var diff = (stored[0].to(ScalarType.Float32) - expected).abs().max();
                double maxDiff = diff.item<float>();
                if (side * side != stored.shape[1] || maxDiff > 1e-3)
                    throw new CheckpointMismatchException(file, [], [],
                        [$"pos_embed: values are not the 2-D sin-cos table of a {side}×{side} grid (max |Δ| = {maxDiff:G3})"]);
            }
        }
        dict["pos_embed"] = model.state_dict()["pos_embed"].detach().clone();
    }

    private static void GuardSize(DiTConfig config, Dictionary<string, Tensor> dict, string file) => ConfigJson.RequireFits(
        (double)config.Depth * (10 + 2 * config.MlpRatio) * config.HiddenSize * config.HiddenSize, dict.Values, file);

    private static void LoadLenient(DiTModel model, Dictionary<string, Tensor> dict)
    {
        using var noGrad = no_grad();
        foreach (var (key, dest) in model.state_dict())
            if (dict.TryGetValue(key, out var src) && src.shape.SequenceEqual(dest.shape)) dest.copy_(src);
    }
}
