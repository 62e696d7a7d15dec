using System.Buffers.Binary;

namespace FastAttn.Server.WebTests.Support;

/// <summary>Reads a PNG's size from its signature and IHDR chunk (no image library: the test checks the bytes themselves).</summary>
internal static class Png
{
    private static readonly byte[] Signature = [0x89, (byte)'P', (byte)'N', (byte)'G', 0x0d, 0x0a, 0x1a, 0x0a];

    /// <summary>The width and height, or an exception naming what is wrong.</summary>
    public static (int Width, int Height) Size(byte[] bytes)
    {
        if (bytes.Length < 24 || !bytes.AsSpan(0, 8).SequenceEqual(Signature)) throw new InvalidDataException("Not a PNG: no PNG signature.");
        if (!bytes.AsSpan(12, 4).SequenceEqual("IHDR"u8)) throw new InvalidDataException("Not a PNG: IHDR is not the first chunk.");
        return (BinaryPrimitives.ReadInt32BigEndian(bytes.AsSpan(16)), BinaryPrimitives.ReadInt32BigEndian(bytes.AsSpan(20)));
    }
}
