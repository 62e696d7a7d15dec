using System.Text;
using CsCheck;
using Xunit;
using FastAttn.Engine.Checkpoints;
using FastAttn.Engine.Robustness;

namespace FastAttn.Engine.Tests.Robustness;

/// <summary>Crafted checkpoints: code-running pickles, headers that claim more than the file holds, path-escaping shards.</summary>
public sealed class HostileCheckpointTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("fastattn-hostile-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private string Write(string name, byte[] bytes)
    {
        var path = Path.Combine(_dir, name);
        File.WriteAllBytes(path, bytes);
        return path;
    }

    [Fact]
    public void APickleNamingOsSystemIsRefusedBeforeAnythingRuns()
    {
        var path = Write("evil.pt", FuzzSeeds.TorchZip(FuzzSeeds.OsSystemPickle()));
        var e = Assert.Throws<CheckpointFormatException>(() => StateDictReader.Read(path));
        Assert.Contains("'os.system'", e.Message);
        Assert.Contains("refused", e.Message);
    }

    [Fact]
    public void AStackGlobalEvalIsRefusedToo()
    {
        var path = Write("evil2.pt", FuzzSeeds.TorchZip(FuzzSeeds.StackGlobalEvalPickle()));
        var e = Assert.Throws<CheckpointFormatException>(() => StateDictReader.Read(path));
        Assert.Contains("'builtins.eval'", e.Message);
    }

    [Fact]
    public void TheCraftedArchiveWithAnHonestPickleLoads()
    {
        var dict = StateDictReader.Read(Write("ok.pt", FuzzSeeds.TorchZip()), upcastToFloat32: false);
        try
        {
            Assert.Equal([2L, 3L], dict["a"].shape);
            Assert.Equal(5f, dict["a"][1, 2].item<float>());
            Assert.Equal([4L], dict["b"].shape);
        }
        finally
        {
            foreach (var t in dict.Values) t.Dispose();
        }
    }

    [Theory]
    [InlineData("{'a':{'dtype':'F32','shape':[1099511627776],'data_offsets':[0,4398046511104]}}")]
    [InlineData("{'a':{'dtype':'F32','shape':[4294967296,4294967296,4294967296],'data_offsets':[0,32]}}")]
    [InlineData("{'a':{'dtype':'F32','shape':[2,3],'data_offsets':[0,24]},'b':{'dtype':'F16','shape':[4],'data_offsets':[16,24]}}")]
    [InlineData("{'a':{'dtype':'F32','shape':[2,3],'data_offsets':[24,48]}}")]
    [InlineData("{'a':{'dtype':'F8_E9','shape':[2],'data_offsets':[0,2]}}")]
    [InlineData("{'a':{'dtype':'F32','shape':[-2,-3],'data_offsets':[0,24]}}")]
    public void SafetensorsHeadersThatLieAreRefusedWithinTwiceTheFileSize(string header)
    {
        var path = Write("lie.safetensors", FuzzSeeds.Safetensors(header.Replace('\'', '"')));
        long before = GC.GetAllocatedBytesForCurrentThread();
        Assert.Throws<CheckpointFormatException>(() => StateDictReader.Read(path));
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        Assert.True(allocated <= 2 * new FileInfo(path).Length + 64 * 1024, $"allocated {allocated} bytes");
    }

    [Fact]
    public void AHugeHeaderLengthIsRefused()
    {
        var path = Write("long.safetensors", FuzzSeeds.Safetensors(claimedHeaderLength: long.MaxValue / 2));
        Assert.Throws<CheckpointFormatException>(() => StateDictReader.Read(path));
    }

    [Fact]
    public void APickleClaimingAHugeStorageIsRefusedWithinTwiceTheFileSize()
    {
        var pickle = FuzzSeeds.StateDictPickle();
        int at = Encoding.ASCII.GetString(pickle).IndexOf("cpu", StringComparison.Ordinal) + 4;   // the J opcode's int after 'cpu'
        BitConverter.GetBytes(int.MaxValue).CopyTo(pickle, at);
        var path = Write("huge.pt", FuzzSeeds.TorchZip(pickle));
        long before = GC.GetAllocatedBytesForCurrentThread();
        var e = Assert.Throws<CheckpointFormatException>(() => StateDictReader.Read(path));
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        Assert.Contains("more than the file holds", e.Message);
        Assert.True(allocated <= 2 * new FileInfo(path).Length + 64 * 1024, $"allocated {allocated} bytes");
    }

    [Fact]
    public void LoadingARealModelAllocatesAboutItsSize()
    {
        var path = Path.Combine(AppContext.BaseDirectory, "models", "tiny-mnist", "model.safetensors");
        long before = GC.GetAllocatedBytesForCurrentThread();
        var dict = StateDictReader.Read(path, upcastToFloat32: false);
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        foreach (var t in dict.Values) t.Dispose();
        Assert.True(allocated <= 2 * new FileInfo(path).Length, $"allocated {allocated} bytes for {new FileInfo(path).Length}");
    }

    [Fact]
    public void RandomSafetensorsHeadersAreAcceptedOrRefusedTyped()
    {
        var dtype = Gen.OneOf("F32", "F16", "BF16", "I64", "BOOL", "U8", "F8_E4M3", "X", "");
        var dim = Gen.OneOf<long>(Gen.Long[0, 8], Gen.OneOf(-1L, 1L << 31, 1L << 62, long.MaxValue));
        var entry = Gen.Select(dtype, dim.Array[0, 4], Gen.Long[-4, 64], Gen.Long[-4, 64],
            (d, shape, a, b) => $"{{\"dtype\":\"{d}\",\"shape\":[{string.Join(",", shape)}],\"data_offsets\":[{a},{b}]}}");
        Gen.Select(entry.Array[0, 4], Gen.Int[0, 64]).Sample((entries, dataLength) =>
        {
            var json = "{" + string.Join(",", entries.Select((e, i) => $"\"t{i}\":{e}")) + "}";
            var path = Write("random.safetensors", FuzzSeeds.Safetensors(json, dataLength));
            try
            {
                foreach (var t in StateDictReader.Read(path).Values) t.Dispose();
            }
            catch (CheckpointFormatException)
            {
            }
        }, time: 2, threads: 1);
    }

    [Fact]
    public void AnEmptyTensorWhoseOtherSizesOverflowIsRefusedTyped()                    // found by the fuzz test above (seed 7_SKqBgX5Gt1)
    {
        var json = "{\"t0\":{\"dtype\":\"F32\",\"shape\":[0,7,4611686018427387904,7],\"data_offsets\":[0,0]}}";
        var path = Write("empty-overflow.safetensors", FuzzSeeds.Safetensors(json, 0));
        var e = Assert.Throws<CheckpointFormatException>(() => StateDictReader.Read(path));
        Assert.Contains("multiply past", e.Message);
    }

    [Fact]
    public void ATensorOfMoreThanTwoGibibytesIsRefusedTypedBeforeAnyBufferIsMade()
    {
        const long bytes = 3L << 30;                                                           // a sparse file: no disk used
        var json = $"{{\"big\":{{\"dtype\":\"U8\",\"shape\":[{bytes}],\"data_offsets\":[0,{bytes}]}}}}";
        var path = Write("big.safetensors", FuzzSeeds.Safetensors(json, 0));
        using (var file = new FileStream(path, FileMode.Open, FileAccess.Write)) file.SetLength(file.Length + bytes);
        long before = GC.GetAllocatedBytesForCurrentThread();
        var e = Assert.Throws<CheckpointFormatException>(() => StateDictReader.Read(path));
        Assert.Contains("'big' holds 3221225472 bytes", e.Message);
        Assert.True(GC.GetAllocatedBytesForCurrentThread() - before < 1 << 20);
    }

    [Theory]
    [InlineData("../../outside.safetensors")]
    [InlineData("/etc/passwd")]
    [InlineData("sub/dir.safetensors")]
    public void ShardsOutsideTheIndexFolderAreRefused(string shard)
    {
        var index = Write("model.safetensors.index.json", Encoding.UTF8.GetBytes($"{{\"weight_map\":{{\"a\":\"{shard}\"}}}}"));
        var e = Assert.Throws<CheckpointFormatException>(() => StateDictReader.Read(index));
        Assert.Contains("not a file name", e.Message);
    }

    [Fact]
    public void AConfigClaimingAHugeModelIsRefusedBeforeTheModelIsBuilt()
    {
        Write("model.safetensors", FuzzSeeds.Safetensors());
        File.WriteAllText(Path.Combine(_dir, "config.json"), """
            {"input_size":32,"patch_size":2,"in_channels":4,"hidden_size":65536,"depth":28,"num_heads":16,"num_classes":10}
            """);
        var e = Assert.Throws<CheckpointFormatException>(() => DiTCheckpoint.Load(Path.Combine(_dir, "model.safetensors")));
        Assert.Contains("parameters but the checkpoint holds", e.Message);
    }
}
