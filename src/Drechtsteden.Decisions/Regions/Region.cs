namespace Drechtsteden.Decisions.Regions;

/// <summary>
/// A collaboration of municipalities (samenwerkingsverband) whose colleges decide together. The region is data:
/// another collaboration is another row, not other code.
/// </summary>
public sealed class Region
{
    private readonly List<string> _members = [];

    private Region()
    {
        Code = "";
        Name = "";
    }

    public Region(string code, string name, IEnumerable<string> memberCodes)
    {
        Code = string.IsNullOrWhiteSpace(code) ? throw new ArgumentException("A region needs a code.", nameof(code)) : code.Trim();
        Name = string.IsNullOrWhiteSpace(name) ? throw new ArgumentException("A region needs a name.", nameof(name)) : name.Trim();
        _members.AddRange(memberCodes.Select(MunicipalityCode.Parse).Distinct(StringComparer.Ordinal));
    }

    public string Code { get; private set; }

    public string Name { get; private set; }

    /// <summary>CBS codes of the member municipalities.</summary>
    public IReadOnlyList<string> MemberCodes => _members;

    public bool Includes(string municipalityCode) => _members.Contains(municipalityCode, StringComparer.Ordinal);
}
