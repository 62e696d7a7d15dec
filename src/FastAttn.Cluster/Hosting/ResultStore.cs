using FastAttn.Cluster.Options;
using FastAttn.Engine.Imaging;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace FastAttn.Cluster.Hosting;

/// <summary>
/// The shared result store: a folder every host writes and every client reads. A job's files go to <c>{root}/{jobId}/</c>,
/// written into a staging folder and moved there in one rename, so a reader sees all of a job's files or none, and a job
/// run twice (its host thought dead) keeps one set.
/// </summary>
public sealed class ResultStore
{
    private const string Staging = ".staging";
    private readonly ILogger? _logger;

    /// <summary>A store at <paramref name="root"/>.</summary>
    public ResultStore(string root, ILogger<ResultStore>? logger = null)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(root);
        Root = Path.GetFullPath(root);
        _logger = logger;
    }

    /// <summary>The store of the configured <see cref="FastAttnClusterOptions.ResultStore"/>.</summary>
    public ResultStore(IOptions<FastAttnClusterOptions> options, ILogger<ResultStore>? logger = null) : this(options.Value.ResultStorePath,
        logger) { }

    /// <summary>The store's folder.</summary>
    public string Root { get; }

    /// <summary>The folder of job <paramref name="jobId"/>.</summary>
    public string FolderOf(string jobId) => Path.Combine(Root, CheckId(jobId));

    /// <summary>The path of file <paramref name="name"/> of job <paramref name="jobId"/>.</summary>
    public string PathOf(string jobId, string name) => OutputFileName.PathIn(FolderOf(jobId), Path.GetFileName(name));

    /// <summary>
    /// Writes a job's files (name, bytes) and returns their names; when the job's folder exists already (an earlier
    /// attempt of the same job finished), keeps that one and returns its names.
    /// </summary>
    public IReadOnlyList<string> Commit(string jobId, int attempt, IReadOnlyList<(string Name, byte[] Bytes)> files)
    {
        ArgumentNullException.ThrowIfNull(files);
        var final = FolderOf(jobId);
        if (Directory.Exists(final)) return Existing(final, jobId);
        var stage = Path.Combine(Root, Staging, $"{jobId}.{attempt}.{Guid.NewGuid():N}");
        Directory.CreateDirectory(stage);
        try
        {
            foreach (var (name, bytes) in files) File.WriteAllBytes(OutputFileName.PathIn(stage, Path.GetFileName(name)), bytes);
            Directory.Move(stage, final);
            return files.Select(f => Path.GetFileName(f.Name)).ToArray();
        }
        catch (IOException) when (Directory.Exists(final))
        {
            Directory.Delete(stage, recursive: true);
            return Existing(final, jobId);
        }
    }

    private string[] Existing(string final, string jobId)
    {
        _logger?.LogWarning("Job {Job} already has results in {Folder}; keeping them (no duplicate written)", jobId, final);
        return Directory.GetFiles(final).Select(Path.GetFileName).OfType<string>().Order(StringComparer.Ordinal).ToArray();
    }

    /// <summary>Checks a job id is a safe folder name: 1–128 of letters, digits, '-', '_' and '.' (not starting with '.').</summary>
    public static string CheckId(string jobId)
    {
        if (!IsValidId(jobId))
            throw new FastAttn.Plugin.Hosting.FastAttnRequestException(
                $"Job id '{jobId}' is not valid: use 1 to 128 letters, digits, '-', '_' or '.', not starting with '.'.", "jobId");
        return jobId;
    }

    /// <summary>Whether <paramref name="jobId"/> is a valid job id.</summary>
    public static bool IsValidId(string? jobId) =>
        !string.IsNullOrEmpty(jobId) && jobId.Length <= 128 && jobId[0] != '.' && jobId.All(c => char.IsAsciiLetterOrDigit(c)
            || c is '-' or '_' or '.');
}
