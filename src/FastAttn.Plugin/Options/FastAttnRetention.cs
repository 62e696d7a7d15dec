namespace FastAttn.Plugin.Options;

/// <summary>Retention of the output folder: after each write the oldest PNGs beyond the count or age are deleted.</summary>
public sealed class FastAttnRetention
{
    /// <summary>Most PNG files kept (0 = no count limit).</summary>
    public int MaxFiles { get; set; } = 500;

    /// <summary>Oldest age kept (null = no age limit).</summary>
    public TimeSpan? MaxAge { get; set; } = TimeSpan.FromDays(7);

    /// <summary>A copy of these settings.</summary>
    public FastAttnRetention Clone() => (FastAttnRetention)MemberwiseClone();
}
