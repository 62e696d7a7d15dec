using System.IO.Compression;
using System.Text;

namespace FastAttn.Engine.Robustness;

/// <summary>
/// Small valid inputs the fuzzers start from, built in code: a safetensors file, a torch.save zip archive and its pickle
/// (plus hostile pickles naming <c>os.system</c> and <c>builtins.eval</c>), a SentencePiece model, and JSON configs.
/// </summary>
public static class FuzzSeeds
{
    /// <summary>Marks a safetensors input given as header JSON, a NUL, then the data (the fuzzer fixes the length prefix).</summary>
    public static readonly byte[] SafetensorsEnvelope = "ST1\n"u8.ToArray();

    /// <summary>Marks a torch.save input given as the bare pickle (the fuzzer wraps it in an archive with two storages).</summary>
    public static readonly byte[] PickleEnvelope = "PK1\n"u8.ToArray();

    /// <summary>The header of the seed safetensors file: an F32 [2, 3] and an F16 [4] tensor, with metadata.</summary>
    public static readonly string SafetensorsHeaderJson = J(
        "{'__metadata__':{'format':'pt'},'a':{'dtype':'F32','shape':[2,3],'data_offsets':[0,24]}," +
        "'b':{'dtype':'F16','shape':[4],'data_offsets':[24,32]}}");

    /// <summary>A safetensors file with <paramref name="headerJson"/> and <paramref name="dataLength"/> bytes of data.</summary>
    public static byte[] Safetensors(string? headerJson = null, int dataLength = 32, long? claimedHeaderLength = null)
    {
        headerJson ??= SafetensorsHeaderJson;
        var header = Encoding.UTF8.GetBytes(headerJson);
        var file = new byte[8 + header.Length + dataLength];
        BitConverter.GetBytes(claimedHeaderLength ?? header.Length).CopyTo(file, 0);
        header.CopyTo(file, 8);
        for (int i = 0; i < dataLength; i++) file[8 + header.Length + i] = (byte)(i % 7 == 0 ? 0 : 0x3C);
        return file;
    }

    /// <summary>The pickle torch.save writes for {"a": F32 [2, 3] (storage 0), "b": F16 [4] (storage 1)} (protocol 2).</summary>
    public static byte[] StateDictPickle() => Pickle(w =>
    {
        w.Global("collections", "OrderedDict").Op(')').Op('R').Op('(');
        Tensor(w, "a", "FloatStorage", "0", 6, [2, 3], [3, 1]);
        Tensor(w, "b", "HalfStorage", "1", 4, [4], [1]);
        w.Op('u');
    });

    /// <summary>A pickle that calls <c>os.system("echo pwned")</c> when Python unpickles it: it must be refused.</summary>
    public static byte[] OsSystemPickle() => Pickle(w => w.Global("os", "system").Str("echo pwned").Op(0x85).Op('R'));

    /// <summary>A pickle that builds <c>builtins.eval</c> through STACK_GLOBAL and calls it: it must be refused.</summary>
    public static byte[] StackGlobalEvalPickle() =>
        Pickle(w => w.Str("builtins").Str("eval").Op(0x93).Str("__import__('os').system('id')").Op(0x85).Op('R'));

    /// <summary>A torch.save zip archive holding <paramref name="pickle"/> and the two storages of <see cref="StateDictPickle"/>.</summary>
    public static byte[] TorchZip(byte[]? pickle = null)
    {
        using var memory = new MemoryStream();
        using (var zip = new ZipArchive(memory, ZipArchiveMode.Create, leaveOpen: true))
        {
            void Add(string name, byte[] bytes)
            {
                using var s = zip.CreateEntry("archive/" + name, CompressionLevel.NoCompression).Open();
                s.Write(bytes);
            }
            Add("data.pkl", pickle ?? StateDictPickle());
            Add("byteorder", "little"u8.ToArray());
            Add("data/0", Enumerable.Range(0, 6).SelectMany(i => BitConverter.GetBytes((float)i)).ToArray());
            Add("data/1", Enumerable.Range(0, 4).SelectMany(i => BitConverter.GetBytes((Half)i)).ToArray());
            Add("version", "3\n"u8.ToArray());
        }
        return memory.ToArray();
    }

    /// <summary>A tiny T5-style unigram SentencePiece model (pad 0, eos 1, unk 2, no BOS).</summary>
    public static byte[] SentencePieceModel()
    {
        var model = new MemoryStream();
        string[] pieces = ["<pad>", "</s>", "<unk>", "▁a", "▁cat", "▁", "a", "c", "t"];
        for (int i = 0; i < pieces.Length; i++)
        {
            var p = new MemoryStream();
            Proto(p, 1, Encoding.UTF8.GetBytes(pieces[i]));
            Tag(p, 2, 5);
            p.Write(BitConverter.GetBytes(-(float)i));
            Varint(p, 3, i == 2 ? 2 : i < 2 ? 3 : 1);
            Proto(model, 1, p.ToArray());
        }
        var trainer = new MemoryStream();
        Varint(trainer, 3, 1);
        Varint(trainer, 40, 2);
        Varint(trainer, 41, -1);
        Varint(trainer, 42, 1);
        Varint(trainer, 43, 0);
        Proto(model, 2, trainer.ToArray());
        var normalizer = new MemoryStream();
        Proto(normalizer, 1, "identity"u8.ToArray());
        Varint(normalizer, 3, 1);
        Varint(normalizer, 4, 1);
        Varint(normalizer, 5, 1);
        Proto(model, 3, normalizer.ToArray());
        return model.ToArray();
    }

    /// <summary>Model configs: DiT (reference and diffusers), PixArt, STDiT2, T5, VAE, model_index.json and sampling defaults.</summary>
    public static IReadOnlyList<string> ConfigJson { get; } = Js(
    [
        "{'input_size':32,'patch_size':4,'in_channels':1,'hidden_size':128,'depth':6,'num_heads':4,'num_classes':10,'learn_sigma':false}",
        "{'_class_name':'DiTTransformer2DModel','norm_type':'ada_norm_zero','num_attention_heads':4,'attention_head_dim':8," +
            "'in_channels':4,'out_channels':8,'sample_size':16,'patch_size':2,'num_layers':2,'num_embeds_ada_norm':10}",
        "{'_class_name':'PixArtTransformer2DModel','norm_type':'ada_norm_single','num_attention_heads':2,'attention_head_dim':8," +
            "'in_channels':4,'out_channels':8,'patch_size':2,'sample_size':16,'caption_channels':32,'num_layers':2,'interpolation_scale':1}",
        "{'hidden_size':48,'depth':2,'num_heads':4,'patch_size':[1,2,2],'in_channels':4,'pred_sigma':true,'caption_channels':32," +
            "'model_max_length':20,'qk_norm':true,'input_sq_size':32}",
        "{'vocab_size':32,'d_model':16,'d_kv':4,'num_heads':4,'d_ff':32,'num_layers':2,'feed_forward_proj':'gated-gelu'}",
        "{'block_out_channels':[32,64],'layers_per_block':1,'latent_channels':4,'out_channels':3,'norm_num_groups':8,'scaling_factor':0.18}",
        "{'_class_name':'PixArtSigmaPipeline','_diffusers_version':'0.30.0','transformer':['diffusers','PixArtTransformer2DModel']}",
        "{'steps':25,'scheduler':'ddim','guidanceScale':2.5,'betaSchedule':'squaredcos_cap_v2','clipSample':true,'searchMetric':'guided'}",
    ]);

    /// <summary>diffusers scheduler configs: PixArt's DPM-Solver++ and a DDIM.</summary>
    public static IReadOnlyList<string> SchedulerJson { get; } = Js(
    [
        "{'_class_name':'DPMSolverMultistepScheduler','beta_start':0.0001,'beta_end':0.02,'beta_schedule':'linear'," +
            "'num_train_timesteps':1000,'solver_order':2,'prediction_type':'epsilon','algorithm_type':'dpmsolver++'," +
            "'solver_type':'midpoint','lower_order_final':true,'final_sigmas_type':'zero','timestep_spacing':'linspace'}",
        "{'_class_name':'DDIMScheduler','beta_start':0.00085,'beta_end':0.012,'beta_schedule':'linear','num_train_timesteps':1000," +
            "'clip_sample':false,'prediction_type':'epsilon'}",
    ]);

    private static string J(string text) => text.Replace('\'', '"');

    private static IReadOnlyList<string> Js(string[] texts) => [.. texts.Select(J)];

    private static void Tensor(PickleWriter w, string name, string storage, string key, int count, int[] shape, int[] stride)
    {
        w.Str(name).Global("torch._utils", "_rebuild_tensor_v2").Op('(');
        w.Op('(').Str("storage").Global("torch", storage).Str(key).Str("cpu").Int(count).Op('t').Op('Q');
        w.Int(0).Op('(');
        foreach (var s in shape) w.Int(s);
        w.Op('t').Op('(');
        foreach (var s in stride) w.Int(s);
        w.Op('t').Op(0x89).Global("collections", "OrderedDict").Op(')').Op('R').Op('t').Op('R');
    }

    private static byte[] Pickle(Action<PickleWriter> body)
    {
        var w = new PickleWriter();
        w.Op(0x80).Op(2);
        body(w);
        return w.Op('.').ToArray();
    }

    private static void Tag(Stream s, int field, int wire) => Raw(s, (ulong)((field << 3) | wire));

    private static void Raw(Stream s, ulong v)
    {
        do { byte b = (byte)(v & 0x7F); v >>= 7; s.WriteByte(v != 0 ? (byte)(b | 0x80) : b); } while (v != 0);
    }

    private static void Varint(Stream s, int field, long value) { Tag(s, field, 0); Raw(s, unchecked((ulong)value)); }

    private static void Proto(Stream s, int field, byte[] data) { Tag(s, field, 2); Raw(s, (ulong)data.Length); s.Write(data); }

    private sealed class PickleWriter
    {
        private readonly MemoryStream _s = new();

        public PickleWriter Op(int op) { _s.WriteByte((byte)op); return this; }

        public PickleWriter Global(string module, string name)
        {
            Op('c');
            _s.Write(Encoding.UTF8.GetBytes($"{module}\n{name}\n"));
            return this;
        }

        public PickleWriter Str(string text)
        {
            var bytes = Encoding.UTF8.GetBytes(text);
            Op('X');
            _s.Write(BitConverter.GetBytes(bytes.Length));
            _s.Write(bytes);
            return this;
        }

        public PickleWriter Int(int value) { Op('J'); _s.Write(BitConverter.GetBytes(value)); return this; }

        public byte[] ToArray() => _s.ToArray();
    }
}
