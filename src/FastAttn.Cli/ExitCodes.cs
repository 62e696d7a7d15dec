namespace FastAttn.Cli;

/// <summary>Process exit codes of the fastattn command.</summary>
internal static class ExitCodes
{
    public const int Ok = 0;
    public const int Failure = 1;
    public const int BadInput = 2;
    public const int Cancelled = 130;
}
