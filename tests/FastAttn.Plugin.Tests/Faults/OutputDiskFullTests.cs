using System.Diagnostics;
using FastAttn.Plugin.Hosting;
using FastAttn.Plugin.Tests.Support;
using Microsoft.Extensions.DependencyInjection;
using Xunit;
using Xunit.Abstractions;

namespace FastAttn.Plugin.Tests.Faults;

/// <summary>
/// The output disk fills up: the request fails with a <see cref="FastAttnOutputException"/> (DiskFull), no file of it —
/// half-written or complete — is left in the output folder, and the engine serves the next request once there is room.
/// The ENOSPC fake always runs; the real small tmpfs runs where this process may mount one (root), else says why not.
/// </summary>
[Collection(EngineCollection.Name)]
public sealed class OutputDiskFullTests(ITestOutputHelper output)
{
    private static FastAttnImageRequest TwoImages => new() { Prompt = "7", Preset = "raw", Steps = 2, Count = 2, Seed = 3 };

    [Fact]
    public async Task A_disk_that_fills_mid_request_fails_it_typed_leaves_no_file_and_the_next_is_served()
    {
        var root = Directory.CreateTempSubdirectory("fastattn-enospc").FullName;
        var disk = new FillingDisk { GoodCreates = 1 };                                        // the 2nd image hits ENOSPC half-way
        try
        {
            await using var host = await FaultHosts.StartAsync(FaultHosts.WriteModel(root), new LogCapture(),
                services: s => s.AddSingleton<IFastAttnOutputStreams>(disk));
            var engine = host.Services.GetRequiredService<IFastAttnEngine>();
            var e = await Assert.ThrowsAsync<FastAttnOutputException>(() => engine.GenerateAsync(TwoImages));
            Assert.True(e.DiskFull, e.Message);
            Assert.Equal(2, disk.Creates);
            Assert.Empty(FaultHosts.Files(host.Output));                                        // neither image, no temp file

            disk.Full = false;                                                                  // room again
            var next = await engine.GenerateAsync(TwoImages);
            Assert.Equal(2, next.Images.Count);
            Assert.All(next.Images, i => FaultHosts.AssertImage(File.ReadAllBytes(i.Path)));
            Assert.Equal(2, FaultHosts.Files(host.Output).Length);
        }
        finally
        {
            Directory.Delete(root, recursive: true);
        }
    }

    [Fact]
    public async Task A_full_tmpfs_output_folder_fails_the_request_typed_leaves_no_file_and_the_next_is_served()
    {
        var root = Directory.CreateTempSubdirectory("fastattn-tmpfs").FullName;
        var mount = Path.Combine(root, "small-disk");
        Directory.CreateDirectory(mount);
        try
        {
            if (Run("mount", $"-t tmpfs -o size=64k fastattn-test {mount}") is string refused)
            {
                output.WriteLine($"SKIPPED (the ENOSPC fake covers this): cannot mount a tmpfs here: {refused}");
                return;
            }
            var filler = Path.Combine(mount, "filler");
            Fill(filler);
            await using var host = await FaultHosts.StartAsync(FaultHosts.WriteModel(root), new LogCapture(), o => o.OutputDirectory = mount);
            var engine = host.Services.GetRequiredService<IFastAttnEngine>();
            var e = await Assert.ThrowsAsync<FastAttnOutputException>(() => engine.GenerateAsync(TwoImages));
            Assert.True(e.DiskFull, e.Message);
            Assert.Equal(["filler"], FaultHosts.Files(mount));

            File.Delete(filler);
            var next = await engine.GenerateAsync(TwoImages);
            Assert.All(next.Images, i => FaultHosts.AssertImage(File.ReadAllBytes(i.Path)));
        }
        finally
        {
            Run("umount", mount);
            Directory.Delete(root, recursive: true);
        }
    }

    /// <summary>Fills the file system of <paramref name="path"/> to the last byte (unbuffered writes until ENOSPC).</summary>
    private static void Fill(string path)
    {
        using var f = new FileStream(path, FileMode.CreateNew, FileAccess.Write, FileShare.None, bufferSize: 0);
        foreach (var chunk in new[] { 4096, 1 })
        {
            var bytes = new byte[chunk];
            try { while (true) f.Write(bytes); }
            catch (IOException e) when (FastAttnOutputException.IsDiskFull(e)) { }
        }
    }

    /// <summary>Runs a command; null when it succeeded, else why not.</summary>
    private static string? Run(string exe, string args)
    {
        try
        {
            using var p = Process.Start(new ProcessStartInfo(exe, args) { RedirectStandardError = true, RedirectStandardOutput = true })!;
            var error = p.StandardError.ReadToEnd();
            p.WaitForExit();
            return p.ExitCode == 0 ? null : $"{exe} exited {p.ExitCode}: {error.Trim()}";
        }
        catch (System.ComponentModel.Win32Exception e)
        {
            return $"{exe}: {e.Message}";
        }
    }

    /// <summary>Output streams of a disk with room for <see cref="GoodCreates"/> files while <see cref="Full"/>: then ENOSPC half-way.</summary>
    private sealed class FillingDisk : IFastAttnOutputStreams
    {
        private int _creates;

        public int GoodCreates { get; init; }

        public volatile bool Full = true;

        public int Creates => Volatile.Read(ref _creates);

        public Stream Create(string tempPath)
        {
            var file = new FileStream(tempPath, FileMode.CreateNew, FileAccess.Write);
            return Interlocked.Increment(ref _creates) > GoodCreates && Full ? new FullStream(file) : file;
        }
    }

    /// <summary>Writes half of what it is given, then fails as Linux does when the disk is full.</summary>
    private sealed class FullStream(FileStream inner) : Stream
    {
        public override bool CanRead => false;
        public override bool CanSeek => false;
        public override bool CanWrite => true;
        public override long Length => inner.Length;
        public override long Position { get => inner.Position; set => throw new NotSupportedException(); }
        public override void Flush() => inner.Flush();
        public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();

        public override void Write(byte[] buffer, int offset, int count)
        {
            inner.Write(buffer, offset, count / 2);
            inner.Flush();
            throw new IOException("No space left on device", 28);                                // ENOSPC
        }

        protected override void Dispose(bool disposing)
        {
            if (disposing) inner.Dispose();
            base.Dispose(disposing);
        }
    }
}
