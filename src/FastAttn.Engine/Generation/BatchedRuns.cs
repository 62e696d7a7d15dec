using System.Globalization;
using static TorchSharp.torch;

namespace FastAttn.Engine.Generation;

/// <summary>
/// What every family's <see cref="PreparedGeneration.RunTogether"/> shares: the batch key text, the seeds of all
/// members' items in batch order, and the split of a batch's items back into one output per member.
/// </summary>
internal static class BatchedRuns
{
    /// <summary>A batch key from its parts, culture-invariant ("dit|ab12…|32|25|ddim|2.5").</summary>
    public static string Key(params object?[] parts) =>
        string.Join('|', parts.Select(p => p switch
        {
            null => "-",
            double d => d.ToString("R", CultureInfo.InvariantCulture),
            IFormattable f => f.ToString(null, CultureInfo.InvariantCulture),
            _ => p.ToString(),
        }));

    /// <summary>The seed of every item of every member, members in order (item i of a member: its seed + i).</summary>
    public static long[] Seeds(IEnumerable<PreparedGeneration> members) =>
        members.SelectMany(m => Enumerable.Range(0, m.Count).Select(m.SeedFor)).ToArray();

    /// <summary>
    /// Splits <paramref name="items"/> (taken over: disposed here) along its first dimension into one output per member,
    /// each with its own copy of its <see cref="PreparedGeneration.Count"/> items and its seeds, made by <paramref name="output"/>.
    /// </summary>
    public static IReadOnlyList<GenerationOutput> Split(IReadOnlyList<PreparedGeneration> members, Tensor items,
        Func<PreparedGeneration, Tensor, IReadOnlyList<long>, GenerationOutput> output)
    {
        var outputs = new List<GenerationOutput>(members.Count);
        try
        {
            int offset = 0;
            foreach (var member in members)
            {
                Tensor part;
                using (var view = items.narrow(0, offset, member.Count)) part = view.clone();
                try { outputs.Add(output(member, part, Enumerable.Range(0, member.Count).Select(member.SeedFor).ToArray())); }
                catch
                {
                    part.Dispose();
                    throw;
                }
                offset += member.Count;
            }
            if (offset != items.shape[0])
                throw new InvalidOperationException($"The batch made {items.shape[0]} items; its members asked for {offset}.");
            return outputs;
        }
        catch
        {
            foreach (var o in outputs) o.Dispose();
            throw;
        }
        finally
        {
            items.Dispose();
        }
    }
}
