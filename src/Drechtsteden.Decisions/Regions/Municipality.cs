namespace Drechtsteden.Decisions.Regions;

/// <summary>A municipality and its college of B&amp;W, identified by its CBS code (e.g. GM0505 for Dordrecht).</summary>
public sealed class Municipality
{
    private Municipality()
    {
        Code = "";
        Name = "";
    }

    public Municipality(string code, string name, DayOfWeek usualMeetingDay = DayOfWeek.Tuesday)
    {
        Code = MunicipalityCode.Parse(code);
        Name = string.IsNullOrWhiteSpace(name) ? throw new ArgumentException("A municipality needs a name.", nameof(name)) : name.Trim();
        UsualMeetingDay = usualMeetingDay;
    }

    public string Code { get; private set; }

    public string Name { get; private set; }

    /// <summary>The weekday on which the college usually meets; used to generate its calendar.</summary>
    public DayOfWeek UsualMeetingDay { get; private set; }
}

public static class MunicipalityCode
{
    /// <summary>CBS municipality codes are "GM" followed by four digits.</summary>
    public static bool IsValid(string? code) =>
        code is { Length: 6 } && code.StartsWith("GM", StringComparison.Ordinal) && code[2..].All(char.IsAsciiDigit);

    public static string Parse(string code) =>
        IsValid(code) ? code : throw new ArgumentException($"'{code}' is not a CBS municipality code (GM followed by four digits).", nameof(code));
}
