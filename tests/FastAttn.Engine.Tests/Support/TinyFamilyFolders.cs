namespace FastAttn.Engine.Tests.Support;

/// <summary>A tiny PixArt folder and a tiny Open-Sora folder in temporary directories, deleted on dispose.</summary>
public sealed class TinyFamilyFolders : IDisposable
{
    /// <summary>Writes both folders.</summary>
    public TinyFamilyFolders(string name)
    {
        PixArt = Directory.CreateTempSubdirectory(name + "-pixart").FullName;
        OpenSora = Directory.CreateTempSubdirectory(name + "-opensora").FullName;
        TinyPixArtFolder.Write(PixArt, TestData.Golden());
        TinyOpenSoraFolder.Write(OpenSora, TestData.Golden());
    }

    /// <summary>The PixArt pipeline folder.</summary>
    public string PixArt { get; }

    /// <summary>The Open-Sora pipeline folder.</summary>
    public string OpenSora { get; }

    /// <inheritdoc />
    public void Dispose()
    {
        foreach (var dir in new[] { PixArt, OpenSora })
            try { Directory.Delete(dir, recursive: true); } catch (IOException) { }
    }
}
