namespace FastAttn.Engine.Compression;

/// <summary>Where a resolved plan came from.</summary>
public enum PlanSource
{
    /// <summary>The request carried the plan itself.</summary>
    Request,

    /// <summary>A plan folder (the user's cache or the model's shipped plans).</summary>
    Folder,

    /// <summary>The shared plan store (another engine searched it).</summary>
    Shared,

    /// <summary>Searched now.</summary>
    Searched,
}

/// <summary>A plan for a generation, with the file it is kept in (null when it could not be saved) and where it came from.</summary>
public sealed record ResolvedPlan(CompressionPlan Plan, string? Path, PlanSource Source)
{
    /// <summary>
    /// What the caller should tell the user about this plan (null: nothing), e.g. that it was searched for another device
    /// kind (<see cref="PlanLookup.FindForOtherDevice"/>); the resolver has logged it too.
    /// </summary>
    public string? Warning { get; init; }

    /// <summary>"path/to/plan.json (searched now)" and the like, for notes and the console.</summary>
    public string Describe() => (Path ?? "(not saved)") + Source switch
    {
        PlanSource.Searched => " (searched now)",
        PlanSource.Shared => " (from the shared store)",
        _ => "",
    };
}
