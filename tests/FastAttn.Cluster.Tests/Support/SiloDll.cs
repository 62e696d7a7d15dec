namespace FastAttn.Cluster.Tests.Support;

/// <summary>Where fastattn-silo.dll of the same build configuration as these tests is (the test project builds it first).</summary>
internal static class SiloDll
{
    public static string Path
    {
        get
        {
            var dir = new DirectoryInfo(AppContext.BaseDirectory);
            var configuration = dir.Parent!.Name;                                                    // bin/<Configuration>/net10.0/
            var repo = dir;
            while (repo is not null && !File.Exists(System.IO.Path.Combine(repo.FullName, "FastAttnPlugin.sln"))) repo = repo.Parent;
            if (repo is null) throw new InvalidOperationException("The repository root (FastAttnPlugin.sln) was not found above " + AppContext.BaseDirectory);
            var dll = System.IO.Path.Combine(repo.FullName, "src", "FastAttn.Silo", "bin", configuration, "net10.0", "fastattn-silo.dll");
            return File.Exists(dll) ? dll : throw new FileNotFoundException($"Build src/FastAttn.Silo ({configuration}) first.", dll);
        }
    }
}
