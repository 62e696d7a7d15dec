namespace FastAttn.Engine.Attention;

/// <summary>How one transformer layer's self-attention is computed at one denoising step (DiTFastAttn, paper §3).</summary>
public enum AttentionMethod
{
    /// <summary>Full attention (also refreshes the window residual when a later step needs it).</summary>
    Full,

    /// <summary>AST: reuse the attention module's output (after the projection) from the most recent step that computed it.</summary>
    OutputShare,

    /// <summary>WA-RS + ASC: window attention plus the cached residual, on the conditional half only, shared with the other half.</summary>
    WindowResidualCfgShare,

    /// <summary>WA-RS: window attention plus the residual (full − window) cached at the most recent full step.</summary>
    WindowResidual,

    /// <summary>ASC: full attention on the conditional half of the CFG batch, shared with the unconditional half.</summary>
    FullCfgShare,

    /// <summary>Window attention without the residual (the ablation of paper Fig. 9).</summary>
    Window,
}

/// <summary>Properties and names of <see cref="AttentionMethod"/>.</summary>
public static class AttentionMethods
{
    /// <summary>The greedy search's candidates in the reference's order (most compression first).</summary>
    public static IReadOnlyList<AttentionMethod> SearchOrder { get; } =
        [AttentionMethod.OutputShare, AttentionMethod.WindowResidualCfgShare, AttentionMethod.WindowResidual, AttentionMethod.FullCfgShare];

    /// <summary>Whether the method computes full attention (and may refresh the residual).</summary>
    public static bool IsFull(this AttentionMethod m) => m is AttentionMethod.Full or AttentionMethod.FullCfgShare;

    /// <summary>Whether the method computes window attention.</summary>
    public static bool UsesWindow(this AttentionMethod m) =>
        m is AttentionMethod.WindowResidual or AttentionMethod.WindowResidualCfgShare or AttentionMethod.Window;

    /// <summary>Whether the method adds the cached residual.</summary>
    public static bool UsesResidual(this AttentionMethod m) => m is AttentionMethod.WindowResidual or AttentionMethod.WindowResidualCfgShare;

    /// <summary>Whether the method computes only the conditional half of a CFG batch.</summary>
    public static bool SharesCfg(this AttentionMethod m) => m is AttentionMethod.FullCfgShare or AttentionMethod.WindowResidualCfgShare;

    /// <summary>The same method without CFG sharing (used when there is no CFG batch).</summary>
    public static AttentionMethod WithoutCfgShare(this AttentionMethod m) => m switch
    {
        AttentionMethod.FullCfgShare => AttentionMethod.Full,
        AttentionMethod.WindowResidualCfgShare => AttentionMethod.WindowResidual,
        _ => m,
    };

    /// <summary>Short name used in plan files: full, ast, wars+asc, wars, asc, window.</summary>
    public static string ToShortName(this AttentionMethod m) => m switch
    {
        AttentionMethod.Full => "full",
        AttentionMethod.OutputShare => "ast",
        AttentionMethod.WindowResidualCfgShare => "wars+asc",
        AttentionMethod.WindowResidual => "wars",
        AttentionMethod.FullCfgShare => "asc",
        AttentionMethod.Window => "window",
        _ => throw new ArgumentOutOfRangeException(nameof(m)),
    };

    /// <summary>Parses a short name, a reference name (full_attn, output_share, residual_window_attn, …) or an xDiT FastAttnMethod name
    /// (RESIDUAL_WINDOW_ATTN_CFG_SHARE, FULL_ATTN_CFG_SHARE, …).</summary>
    public static AttentionMethod Parse(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var t = text.Trim().ToLowerInvariant().Replace(" ", "", StringComparison.Ordinal);
        return t switch
        {
            "full" or "full_attn" => AttentionMethod.Full,
            "ast" or "output_share" => AttentionMethod.OutputShare,
            "wars+asc" or "residual_window_attn+cfg_attn_share" => AttentionMethod.WindowResidualCfgShare,
            "wars" or "residual_window_attn" => AttentionMethod.WindowResidual,
            "asc" or "full_attn+cfg_attn_share" => AttentionMethod.FullCfgShare,
            "window" or "residual_window_attn+without_residual" => AttentionMethod.Window,
            _ => ParseXDiT(t) ?? throw new FormatException(
                $"Unknown attention method '{text}'. Known: full, ast, wars+asc, wars, asc, window (or the reference's names)."),
        };
    }

    /// <summary>
    /// xDiT's <c>FastAttnMethod</c> (a Python Flag) as its plan files write it, <c>method.name</c>: FULL_ATTN, OUTPUT_SHARE,
    /// RESIDUAL_WINDOW_ATTN, and the named combinations RESIDUAL_WINDOW_ATTN_CFG_SHARE and FULL_ATTN_CFG_SHARE; also the
    /// "A|B" form Python 3.11+ gives other combinations, and a "FastAttnMethod." prefix (its str()).
    /// </summary>
    private static AttentionMethod? ParseXDiT(string t)
    {
        var flags = t.ToUpperInvariant().Replace("FASTATTNMETHOD.", "", StringComparison.Ordinal)
            .Split(['|', '+', ','], StringSplitOptions.RemoveEmptyEntries)
            .SelectMany(f => f switch
            {
                "RESIDUAL_WINDOW_ATTN_CFG_SHARE" => ["RESIDUAL_WINDOW_ATTN", "CFG_SHARE"],
                "FULL_ATTN_CFG_SHARE" => ["FULL_ATTN", "CFG_SHARE"],
                _ => new[] { f },
            }).ToHashSet();
        if (flags.Count == 0 || flags.Any(f => f is not ("FULL_ATTN" or "RESIDUAL_WINDOW_ATTN" or "OUTPUT_SHARE" or "CFG_SHARE")))
            return null;
        bool cfg = flags.Contains("CFG_SHARE");
        if (flags.Contains("OUTPUT_SHARE")) return AttentionMethod.OutputShare;
        if (flags.Contains("RESIDUAL_WINDOW_ATTN")) return cfg ? AttentionMethod.WindowResidualCfgShare : AttentionMethod.WindowResidual;
        return flags.Contains("FULL_ATTN") ? (cfg ? AttentionMethod.FullCfgShare : AttentionMethod.Full) : null;   // CFG_SHARE alone: no method
    }
}
