using System.Reflection;

namespace FastAttn.Engine.Conditioning;

/// <summary>
/// The names of a class-conditional model's labels (ImageNet's 1000, or a model's own), and the resolution of what a
/// user typed ("207", "golden retriever") into a label id, with clear errors for unknown and ambiguous names.
/// </summary>
public sealed class ClassLabels
{
    private readonly string[] _names;
    private readonly Dictionary<string, List<int>> _byName;
    private static readonly Lazy<ClassLabels> LazyImageNet = new(LoadImageNet);

    /// <summary>Creates the list; label i is named <paramref name="names"/>[i].</summary>
    public ClassLabels(IReadOnlyList<string> names)
    {
        ArgumentNullException.ThrowIfNull(names);
        _names = names.Select(n => n.Trim()).ToArray();
        _byName = new Dictionary<string, List<int>>(StringComparer.OrdinalIgnoreCase);
        for (int i = 0; i < _names.Length; i++)
        {
            var key = Normalize(_names[i]);
            if (!_byName.TryGetValue(key, out var ids)) _byName[key] = ids = [];
            ids.Add(i);
        }
    }

    /// <summary>The 1000 ImageNet-1k class names (line N = class N), shipped as a resource.</summary>
    public static ClassLabels ImageNet => LazyImageNet.Value;

    /// <summary>Number of labels.</summary>
    public int Count => _names.Length;

    /// <summary>The name of label <paramref name="id"/>.</summary>
    public string NameOf(int id) => id >= 0 && id < _names.Length ? _names[id]
        : throw new ArgumentOutOfRangeException(nameof(id), $"Class id {id} is outside 0..{_names.Length - 1}.");

    /// <summary>
    /// Resolves an id ("207") or a name ("Golden Retriever", case- and space-insensitive). Throws
    /// <see cref="UnknownClassException"/> (with the closest names) or <see cref="AmbiguousClassException"/> (with the ids).
    /// </summary>
    public int Resolve(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var trimmed = text.Trim();
        if (int.TryParse(trimmed, System.Globalization.NumberStyles.Integer, System.Globalization.CultureInfo.InvariantCulture, out int id))
        {
            if (id < 0 || id >= _names.Length)
                throw new UnknownClassException(trimmed, $"Class id {id} is outside the allowed range 0..{_names.Length - 1}.", []);
            return id;
        }
        if (_byName.TryGetValue(Normalize(trimmed), out var ids))
        {
            if (ids.Count == 1) return ids[0];
            throw new AmbiguousClassException(trimmed, ids);
        }
        var closest = Closest(trimmed, 5);
        throw new UnknownClassException(trimmed,
            $"Unknown class '{trimmed}'. Closest: {string.Join(", ", closest.Select(c => $"{c.Name} ({c.Id})"))}.", closest);
    }

    /// <summary>The <paramref name="count"/> names closest to <paramref name="text"/> (word overlap, then edit distance).</summary>
    public IReadOnlyList<(int Id, string Name)> Closest(string text, int count)
    {
        var query = Normalize(text);
        var words = query.Split(' ', StringSplitOptions.RemoveEmptyEntries);
        return _names.Select((name, i) => (Id: i, Name: name, Key: Normalize(name)))
            .Select(x => (x.Id, x.Name,
                Overlap: words.Count(w => x.Key.Contains(w, StringComparison.Ordinal)),
                Distance: Levenshtein(query, x.Key)))
            .OrderByDescending(x => x.Overlap).ThenBy(x => x.Distance).ThenBy(x => x.Id)
            .Take(count).Select(x => (x.Id, x.Name)).ToList();
    }

    private static string Normalize(string s) =>
        string.Join(' ', s.ToLowerInvariant().Replace('_', ' ').Split(' ', StringSplitOptions.RemoveEmptyEntries));

    private static int Levenshtein(string a, string b)
    {
        var prev = new int[b.Length + 1];
        var cur = new int[b.Length + 1];
        for (int j = 0; j <= b.Length; j++) prev[j] = j;
        for (int i = 1; i <= a.Length; i++)
        {
            cur[0] = i;
            for (int j = 1; j <= b.Length; j++)
                cur[j] = Math.Min(Math.Min(cur[j - 1] + 1, prev[j] + 1), prev[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1));
            (prev, cur) = (cur, prev);
        }
        return prev[b.Length];
    }

    private static ClassLabels LoadImageNet()
    {
        using var stream = Assembly.GetExecutingAssembly().GetManifestResourceStream("FastAttn.Engine.Resources.imagenet-classes.txt")
            ?? throw new InvalidOperationException("The ImageNet class list resource is missing from the assembly.");
        using var reader = new StreamReader(stream);
        var names = reader.ReadToEnd().Split('\n').Select(l => l.TrimEnd('\r')).Where(l => l.Length > 0).ToArray();
        return new ClassLabels(names);
    }
}
