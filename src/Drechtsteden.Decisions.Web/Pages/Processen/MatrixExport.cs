using System.Text;
using Drechtsteden.Decisions.Processes;
using Drechtsteden.Decisions.Time;
using Drechtsteden.Decisions.Web.Audit;
using Drechtsteden.Decisions.Web.Processes;
using Drechtsteden.Decisions.Workflows;
using DocumentFormat.OpenXml;
using DocumentFormat.OpenXml.Packaging;
using DocumentFormat.OpenXml.Spreadsheet;

namespace Drechtsteden.Decisions.Web.Pages.Processen;

/// <summary>
/// Files people open in Dutch Excel: the synchronization matrix as CSV (semicolon, UTF-8 with BOM, Amsterdam times,
/// Dutch words) and as .xlsx (Open XML SDK; ClosedXML would pull in System.Drawing, which does not run on Linux).
/// Both are made from the process as the reader sees it: the embargo applies as on the page.
/// </summary>
public static class MatrixExport
{
    public static readonly string[] Columns =
        ["Gemeente", "Agendapunt", "Vergadering", "Besluit", "Conceptversie", "Besluitdatum", "Gelijkluidend", "Status", "Toelichting", "Reden", "Raad geïnformeerd"];

    /// <summary>The matrix's rows, in words.</summary>
    public static IEnumerable<string[]> Rows(ProcessDto process, WorkflowDefinition definition, IReadOnlyDictionary<string, string> names) =>
        process.Items.Select(i => new[]
        {
            names.GetValueOrDefault(i.Municipality, i.Municipality),
            UiText.State(definition, MachineKind.Item, i.State),
            i.Meeting is { } m ? Local(m.StartsAt) : "",
            i.Embargoed ? "onder embargo" : i.Decision is { } d ? UiText.Outcome(d.Outcome) : "nog niet",
            i.Decision?.ConceptVersion.ToString(UiText.Dutch) ?? "",
            i.Decision?.DecidedOn.ToString("dd-MM-yyyy", UiText.Dutch) ?? "",
            i.Decision?.Outcome == DecisionOutcome.Deferred ? "" : i.Identical switch { true => "ja", false => "nee", _ => "" },
            i.Status is { } s ? UiText.Light(s.Light) : "",
            i.Status is { } r ? string.Join("; ", r.Reasons.Select(x => x.Text)) : "",
            i.Decision?.Reason ?? "",
            i.Council?.InformedOn.ToString("dd-MM-yyyy", UiText.Dutch) ?? "",
        });

    public static byte[] Csv(IEnumerable<string[]> rows, IReadOnlyList<string> columns) => Encoding.UTF8.GetPreamble()
        .Concat(Encoding.UTF8.GetBytes(DutchCsv(rows.Prepend([.. columns])))).ToArray();

    /// <summary>Semicolon-separated (the list separator of Dutch Excel), CRLF, every cell that a spreadsheet would run neutralised.</summary>
    public static string DutchCsv(IEnumerable<string[]> rows)
    {
        var text = new StringBuilder();
        foreach (var row in rows)
            text.AppendJoin(';', row.Select(AuditExport.CsvCell)).Append("\r\n");
        return text.ToString();
    }

    /// <summary>An Amsterdam date and time as Dutch Excel reads it: 05-03-2030 10:00.</summary>
    public static string Local(DateTimeOffset instant) => Amsterdam.ToLocal(instant).ToString("dd-MM-yyyy HH:mm", UiText.Dutch);

    /// <summary>One worksheet, "Synchronisatie": a title row, the column names, the rows; text cells (no formulas are ever written).</summary>
    public static byte[] Xlsx(string title, IEnumerable<string[]> rows, IReadOnlyList<string> columns)
    {
        using var stream = new MemoryStream();
        using (var document = SpreadsheetDocument.Create(stream, SpreadsheetDocumentType.Workbook))
        {
            var workbook = document.AddWorkbookPart();
            workbook.Workbook = new Workbook();
            var sheetPart = workbook.AddNewPart<WorksheetPart>();
            var data = new SheetData();
            uint number = 1;
            Row Line(IEnumerable<string> cells) => new(cells.Select(c => new Cell { DataType = CellValues.InlineString, InlineString = new InlineString(new Text(c ?? "")) }))
                { RowIndex = number++ };
            data.Append(Line([title]));
            data.Append(Line(columns));
            foreach (var row in rows)
                data.Append(Line(row));
            var widths = new Columns(columns.Select((_, i) => new Column { Min = (uint)(i + 1), Max = (uint)(i + 1), Width = i is 8 or 9 ? 50 : 20, CustomWidth = true }));
            sheetPart.Worksheet = new Worksheet(widths, data);
            workbook.Workbook.AppendChild(new Sheets(new Sheet { Id = workbook.GetIdOfPart(sheetPart), SheetId = 1, Name = "Synchronisatie" }));
            workbook.Workbook.Save();
        }
        return stream.ToArray();
    }
}
