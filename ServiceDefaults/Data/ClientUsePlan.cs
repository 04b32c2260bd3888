namespace OAuthAspire.ServiceDefaults.Data;

/// <summary>What settling one client's uses changes in the view: the uses to remove and those to record (at the settled version).</summary>
public sealed record ClientUseChange(bool Applies, IReadOnlyList<string> Remove, IReadOnlyList<string> Add)
{
    public static readonly ClientUseChange None = new(false, [], []);
}

/// <summary>
/// How a client's event (or the backfill) settles its uses in <see cref="ClientUseView"/>. Events
/// come in any order and more than once, so a version the view holds already, or an older one,
/// changes nothing. Otherwise the settled names are recorded, and a recorded use they drop goes only
/// when no newer save has claimed it meanwhile (its version is at most the settled one): a save in
/// flight keeps its claim. A deleted client's uses all go.
/// </summary>
public static class ClientUsePlan
{
    /// <param name="recordedVersion">The last version settled for the client (0: none).</param>
    /// <param name="recorded">The client's uses as recorded now.</param>
    public static ClientUseChange Settle(long recordedVersion, IEnumerable<ClientUse> recorded, ClientUses settled)
    {
        if (settled.Version <= recordedVersion)
        {
            return ClientUseChange.None;
        }

        var keep = settled.Deleted ? new HashSet<string>(StringComparer.Ordinal) : settled.Names.ToHashSet(StringComparer.Ordinal);
        var remove = recorded.Where(u => !keep.Contains(u.Name) && (settled.Deleted || u.Version <= settled.Version)).Select(u => u.Name).ToArray();
        return new ClientUseChange(true, remove, keep.Order(StringComparer.Ordinal).ToArray());
    }
}
