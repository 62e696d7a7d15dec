namespace FastAttn.Engine.Compression.Pickle;

/// <summary>
/// A pickle asks for something a plain-data reader refuses: an import of a Python global, a call (REDUCE, BUILD, NEWOBJ…),
/// a persistent id, or an opcode outside the plain-data set. Nothing from the file was executed.
/// </summary>
public sealed class UnsafePickleException : Exception
{
    /// <summary>The refused opcode's byte.</summary>
    public byte Opcode { get; }

    /// <summary>The opcode's offset in the pickle stream.</summary>
    public long Offset { get; }

    /// <summary>Creates the exception.</summary>
    public UnsafePickleException(byte opcode, long offset, string what)
        : base($"The pickle asks for {what} (opcode 0x{opcode:x2} at byte {offset}); only plain data (dict, list, tuple, str, int, " +
            "float, bool, None) is read, so it was refused without running anything.")
        => (Opcode, Offset) = (opcode, offset);
}
