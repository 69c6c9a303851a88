#!/usr/bin/env python3
"""The Chinook eval set, written once and rendered per dialect.

Writes evals/chinook.sqlite.json, evals/chinook.mysql.json (both with
CamelCase names) and evals/chinook.postgres.json (snake_case names). The questions are
identical; only the gold SQL differs: identifiers are translated, and
{year:COL} / {month:COL} expand to each dialect's date-part extraction.
Run: python3 evals/chinook_cases.py
"""
import json, os, re

CASES = [
    # counts
    ("count_customers", "How many customers are there?", "SELECT COUNT(*) FROM Customer"),
    ("count_tracks", "How many tracks are there?", "SELECT COUNT(*) FROM Track"),
    ("count_albums", "How many albums do we have?", "SELECT COUNT(*) FROM Album"),
    ("count_artists", "How many artists are there?", "SELECT COUNT(*) FROM Artist"),
    ("count_employees", "How many employees do we have?", "SELECT COUNT(*) FROM Employee"),
    ("count_playlists", "How many playlists exist?", "SELECT COUNT(*) FROM Playlist"),
    ("count_genres", "How many genres are there?", "SELECT COUNT(*) FROM Genre"),
    ("invoices_2023", "How many invoices were issued in 2023?",
     "SELECT COUNT(*) FROM Invoice WHERE InvoiceDate >= '2023-01-01' AND InvoiceDate < '2024-01-01'"),
    ("invoices_june_2022", "How many invoices were issued in June 2022?",
     "SELECT COUNT(*) FROM Invoice WHERE InvoiceDate >= '2022-06-01' AND InvoiceDate < '2022-07-01'"),
    ("usa_customers", "How many customers live in the USA?", "SELECT COUNT(*) FROM Customer WHERE Country = 'USA'"),
    ("canada_customers", "How many customers are from Canada?", "SELECT COUNT(*) FROM Customer WHERE Country = 'Canada'"),
    ("paris_customers", "How many customers are located in Paris?", "SELECT COUNT(*) FROM Customer WHERE City = 'Paris'"),
    ("jazz_tracks", "How many jazz tracks are there?",
     "SELECT COUNT(*) FROM Track t JOIN Genre g ON g.GenreId = t.GenreId WHERE g.Name = 'Jazz'"),
    ("pricey_tracks", "How many tracks have a unit price above 0.99?", "SELECT COUNT(*) FROM Track WHERE UnitPrice > 0.99"),
    ("germany_invoices", "How many invoices were billed to Germany?",
     "SELECT COUNT(*) FROM Invoice WHERE BillingCountry = 'Germany'"),
    ("big_invoices", "How many invoices have a total greater than 15?", "SELECT COUNT(*) FROM Invoice WHERE Total > 15"),
    ("long_tracks", "How many tracks are longer than 400000 milliseconds?",
     "SELECT COUNT(*) FROM Track WHERE Milliseconds > 400000"),
    ("grunge_playlist", "How many tracks are in the playlist 'Grunge'?",
     "SELECT COUNT(*) FROM PlaylistTrack pt JOIN Playlist p ON p.PlaylistId = pt.PlaylistId WHERE p.Name = 'Grunge'"),
    ("brazil_invoices", "How many invoices did customers from Brazil place?",
     "SELECT COUNT(*) FROM Invoice i JOIN Customer c ON c.CustomerId = i.CustomerId WHERE c.Country = 'Brazil'"),
    ("queen_tracks", "How many tracks by the artist 'Queen' do we have?",
     "SELECT COUNT(*) FROM Track t JOIN Album al ON al.AlbumId = t.AlbumId JOIN Artist ar ON ar.ArtistId = al.ArtistId WHERE ar.Name = 'Queen'"),
    ("hired_2003", "How many employees were hired in 2003?",
     "SELECT COUNT(*) FROM Employee WHERE HireDate >= '2003-01-01' AND HireDate < '2004-01-01'"),
    ("count_countries", "How many different countries do our customers come from?",
     "SELECT COUNT(DISTINCT Country) FROM Customer"),
    # lists
    ("list_genres", "List all genres", "SELECT GenreId, Name FROM Genre"),
    ("list_media_types", "Show all media types", "SELECT MediaTypeId, Name FROM MediaType"),
    ("brazil_customers", "List the customers from Brazil",
     "SELECT CustomerId, FirstName, LastName FROM Customer WHERE Country = 'Brazil'"),
    ("prague_customers", "Which customers live in Prague?",
     "SELECT CustomerId, FirstName, LastName FROM Customer WHERE City = 'Prague'"),
    ("it_staff", "List the employees with the title 'IT Staff'",
     "SELECT EmployeeId, FirstName, LastName FROM Employee WHERE Title = 'IT Staff'"),
    ("aerosmith_albums", "What are the titles of the albums by 'Aerosmith'?",
     "SELECT al.Title FROM Album al JOIN Artist ar ON ar.ArtistId = al.ArtistId WHERE ar.Name = 'Aerosmith'"),
    ("let_there_be_rock", "What are the names of the tracks on the album 'Let There Be Rock'?",
     "SELECT t.Name FROM Track t JOIN Album al ON al.AlbumId = t.AlbumId WHERE al.Title = 'Let There Be Rock'"),
    ("germany_emails", "What are the email addresses of customers in Germany?",
     "SELECT Email FROM Customer WHERE Country = 'Germany'"),
    ("customer_cities", "Which cities do our customers live in?", "SELECT DISTINCT City FROM Customer"),
    ("billing_countries", "List the distinct billing countries", "SELECT DISTINCT BillingCountry FROM Invoice"),
    ("employee_names", "What are the names of all employees?", "SELECT FirstName, LastName FROM Employee"),
    ("employee_titles", "What distinct job titles do employees have?", "SELECT DISTINCT Title FROM Employee"),
    ("list_playlists", "List all playlists", "SELECT PlaylistId, Name FROM Playlist"),
    ("canada_customers_email", "List customers in Canada with their email",
     "SELECT CustomerId, FirstName, LastName, Email FROM Customer WHERE Country = 'Canada'"),
    # aggregates
    ("total_revenue", "What is the total revenue?", "SELECT SUM(Total) FROM Invoice"),
    ("avg_invoice", "What is the average invoice total?", "SELECT AVG(Total) FROM Invoice"),
    ("max_invoice", "What is the largest invoice total?", "SELECT MAX(Total) FROM Invoice"),
    ("min_invoice", "What is the smallest invoice total?", "SELECT MIN(Total) FROM Invoice"),
    ("avg_track_length", "What is the average track length in milliseconds?", "SELECT AVG(Milliseconds) FROM Track"),
    ("revenue_2024", "What was the total revenue in 2024?",
     "SELECT SUM(Total) FROM Invoice WHERE InvoiceDate >= '2024-01-01' AND InvoiceDate < '2025-01-01'"),
    ("avg_unit_price", "What is the average unit price of a track?", "SELECT AVG(UnitPrice) FROM Track"),
    ("france_revenue", "What was the total revenue from customers in France?",
     "SELECT SUM(i.Total) FROM Invoice i JOIN Customer c ON c.CustomerId = i.CustomerId WHERE c.Country = 'France'"),
    ("longest_duration", "What is the longest track duration?", "SELECT MAX(Milliseconds) FROM Track"),
    ("total_bytes", "What is the total size in bytes of all tracks?", "SELECT SUM(Bytes) FROM Track"),
    ("latest_invoice_date", "What is the date of the most recent invoice?", "SELECT MAX(InvoiceDate) FROM Invoice"),
    ("first_hire", "When was the first employee hired?", "SELECT MIN(HireDate) FROM Employee"),
    ("rock_revenue", "What is the total revenue from Rock tracks?",
     "SELECT SUM(il.UnitPrice * il.Quantity) FROM InvoiceLine il JOIN Track t ON t.TrackId = il.TrackId JOIN Genre g ON g.GenreId = t.GenreId WHERE g.Name = 'Rock'"),
    ("avg_march_2023", "What was the average invoice total in March 2023?",
     "SELECT AVG(Total) FROM Invoice WHERE InvoiceDate >= '2023-03-01' AND InvoiceDate < '2023-04-01'"),
    # group by
    ("customers_per_country", "How many customers are there in each country?",
     "SELECT Country, COUNT(*) FROM Customer GROUP BY Country"),
    ("tracks_per_genre", "Number of tracks per genre",
     "SELECT g.GenreId, g.Name, COUNT(*) FROM Track t JOIN Genre g ON g.GenreId = t.GenreId GROUP BY g.GenreId, g.Name"),
    ("revenue_by_billing_country", "Total revenue by billing country",
     "SELECT BillingCountry, SUM(Total) FROM Invoice GROUP BY BillingCountry"),
    ("revenue_per_year", "Revenue per year",
     "SELECT {year:InvoiceDate}, SUM(Total) FROM Invoice GROUP BY {year:InvoiceDate}"),
    ("invoices_per_year", "How many invoices were issued each year?",
     "SELECT {year:InvoiceDate}, COUNT(*) FROM Invoice GROUP BY {year:InvoiceDate}"),
    ("albums_per_artist", "How many albums does each artist have?",
     "SELECT ar.ArtistId, ar.Name, COUNT(*) FROM Album al JOIN Artist ar ON ar.ArtistId = al.ArtistId GROUP BY ar.ArtistId, ar.Name"),
    ("tracks_per_media_type", "Number of tracks for each media type",
     "SELECT m.MediaTypeId, m.Name, COUNT(*) FROM Track t JOIN MediaType m ON m.MediaTypeId = t.MediaTypeId GROUP BY m.MediaTypeId, m.Name"),
    ("customers_per_rep", "How many customers does each support rep look after?",
     "SELECT e.EmployeeId, e.FirstName, e.LastName, COUNT(*) FROM Customer c JOIN Employee e ON e.EmployeeId = c.SupportRepId GROUP BY e.EmployeeId, e.FirstName, e.LastName"),
    ("invoices_per_customer", "Number of invoices per customer",
     "SELECT c.CustomerId, c.FirstName, c.LastName, COUNT(*) FROM Invoice i JOIN Customer c ON c.CustomerId = i.CustomerId GROUP BY c.CustomerId, c.FirstName, c.LastName"),
    ("spending_per_customer", "Total spending by customer",
     "SELECT c.CustomerId, c.FirstName, c.LastName, SUM(i.Total) FROM Invoice i JOIN Customer c ON c.CustomerId = i.CustomerId GROUP BY c.CustomerId, c.FirstName, c.LastName"),
    ("avg_length_per_genre", "Average track length by genre",
     "SELECT g.GenreId, g.Name, AVG(t.Milliseconds) FROM Track t JOIN Genre g ON g.GenreId = t.GenreId GROUP BY g.GenreId, g.Name"),
    ("monthly_revenue_2023", "Monthly revenue in 2023",
     "SELECT {year:InvoiceDate}, {month:InvoiceDate}, SUM(Total) FROM Invoice WHERE InvoiceDate >= '2023-01-01' AND InvoiceDate < '2024-01-01' GROUP BY {year:InvoiceDate}, {month:InvoiceDate}"),
    ("usa_customers_per_city", "How many customers are there in each city in the USA?",
     "SELECT City, COUNT(*) FROM Customer WHERE Country = 'USA' GROUP BY City"),
    ("tracks_per_playlist", "How many tracks are there in each playlist?",
     "SELECT p.PlaylistId, p.Name, COUNT(*) FROM PlaylistTrack pt JOIN Playlist p ON p.PlaylistId = pt.PlaylistId GROUP BY p.PlaylistId, p.Name"),
    ("employees_per_title", "Number of employees by title", "SELECT Title, COUNT(*) FROM Employee GROUP BY Title"),
    ("avg_invoice_per_country", "Average invoice total for each billing country",
     "SELECT BillingCountry, AVG(Total) FROM Invoice GROUP BY BillingCountry"),
    ("revenue_per_genre_2022", "Total revenue per genre in 2022",
     "SELECT g.GenreId, g.Name, SUM(il.UnitPrice * il.Quantity) FROM InvoiceLine il JOIN Invoice i ON i.InvoiceId = il.InvoiceId JOIN Track t ON t.TrackId = il.TrackId JOIN Genre g ON g.GenreId = t.GenreId WHERE i.InvoiceDate >= '2022-01-01' AND i.InvoiceDate < '2023-01-01' GROUP BY g.GenreId, g.Name"),
    ("customers_per_state_usa", "How many customers are there per state?",
     "SELECT State, COUNT(*) FROM Customer GROUP BY State"),
    # top-N and bottom-N
    ("top5_customers", "Top 5 customers by total spending",
     "SELECT c.CustomerId, c.FirstName, c.LastName, SUM(i.Total) FROM Invoice i JOIN Customer c ON c.CustomerId = i.CustomerId GROUP BY c.CustomerId, c.FirstName, c.LastName ORDER BY SUM(i.Total) DESC, c.CustomerId LIMIT 5"),
    ("top3_genres", "Which 3 genres have the most tracks?",
     "SELECT g.GenreId, g.Name, COUNT(*) FROM Track t JOIN Genre g ON g.GenreId = t.GenreId GROUP BY g.GenreId, g.Name ORDER BY COUNT(*) DESC, g.GenreId LIMIT 3"),
    ("longest5", "What are the 5 longest tracks?",
     "SELECT TrackId, Name, Milliseconds FROM Track ORDER BY Milliseconds DESC, TrackId LIMIT 5"),
    ("top_artist_albums", "Which artist has the most albums?",
     "SELECT ar.ArtistId, ar.Name, COUNT(*) FROM Album al JOIN Artist ar ON ar.ArtistId = al.ArtistId GROUP BY ar.ArtistId, ar.Name ORDER BY COUNT(*) DESC, ar.ArtistId LIMIT 1"),
    ("top_country_customers", "Which country has the most customers?",
     "SELECT Country, COUNT(*) FROM Customer GROUP BY Country ORDER BY COUNT(*) DESC LIMIT 1"),
    ("top5_countries_revenue", "Which 5 billing countries generate the most revenue?",
     "SELECT BillingCountry, SUM(Total) FROM Invoice GROUP BY BillingCountry ORDER BY SUM(Total) DESC LIMIT 5"),
    ("shortest3", "What are the 3 shortest tracks?",
     "SELECT TrackId, Name, Milliseconds FROM Track ORDER BY Milliseconds ASC, TrackId LIMIT 3"),
    ("top_rep", "Which employee supports the most customers?",
     "SELECT e.EmployeeId, e.FirstName, e.LastName, COUNT(*) FROM Customer c JOIN Employee e ON e.EmployeeId = c.SupportRepId GROUP BY e.EmployeeId, e.FirstName, e.LastName ORDER BY COUNT(*) DESC, e.EmployeeId LIMIT 1"),
    ("top_album_tracks", "Which album has the most tracks?",
     "SELECT al.AlbumId, al.Title, COUNT(*) FROM Track t JOIN Album al ON al.AlbumId = t.AlbumId GROUP BY al.AlbumId, al.Title ORDER BY COUNT(*) DESC, al.AlbumId LIMIT 1"),
    ("top_customer", "Which customer spent the most?",
     "SELECT c.CustomerId, c.FirstName, c.LastName, SUM(i.Total) FROM Invoice i JOIN Customer c ON c.CustomerId = i.CustomerId GROUP BY c.CustomerId, c.FirstName, c.LastName ORDER BY SUM(i.Total) DESC, c.CustomerId LIMIT 1"),
    ("top_year", "Which year had the highest revenue?",
     "SELECT {year:InvoiceDate}, SUM(Total) FROM Invoice GROUP BY {year:InvoiceDate} ORDER BY SUM(Total) DESC LIMIT 1"),
    ("top_playlist", "Which playlist has the most tracks?",
     "SELECT p.PlaylistId, p.Name, COUNT(*) FROM PlaylistTrack pt JOIN Playlist p ON p.PlaylistId = pt.PlaylistId GROUP BY p.PlaylistId, p.Name ORDER BY COUNT(*) DESC, p.PlaylistId LIMIT 1"),
    ("least_revenue_genre", "Which genre generates the least revenue?",
     "SELECT g.GenreId, g.Name, SUM(il.UnitPrice * il.Quantity) FROM InvoiceLine il JOIN Track t ON t.TrackId = il.TrackId JOIN Genre g ON g.GenreId = t.GenreId GROUP BY g.GenreId, g.Name ORDER BY SUM(il.UnitPrice * il.Quantity) ASC, g.GenreId LIMIT 1"),
    ("biggest_invoice", "Which invoice has the highest total?",
     "SELECT InvoiceId, InvoiceDate, Total FROM Invoice ORDER BY Total DESC, InvoiceId LIMIT 1"),
    # having
    ("artists_5_albums", "How many artists have more than 5 albums?",
     "SELECT COUNT(*) FROM (SELECT ArtistId FROM Album GROUP BY ArtistId HAVING COUNT(*) > 5) x"),
    ("genres_100_tracks", "Which genres have more than 100 tracks?",
     "SELECT g.GenreId, g.Name, COUNT(*) FROM Track t JOIN Genre g ON g.GenreId = t.GenreId GROUP BY g.GenreId, g.Name HAVING COUNT(*) > 100"),
    ("albums_15_tracks", "How many albums have more than 15 tracks?",
     "SELECT COUNT(*) FROM (SELECT AlbumId FROM Track GROUP BY AlbumId HAVING COUNT(*) > 15) x"),
    ("countries_5_customers", "Which countries have more than 5 customers?",
     "SELECT Country, COUNT(*) FROM Customer GROUP BY Country HAVING COUNT(*) > 5"),
    # ordering
    ("genres_alphabetical", "List the genres in alphabetical order",
     "SELECT GenreId, Name FROM Genre ORDER BY Name"),
    ("recent_invoices", "Show the 5 most recent invoices",
     "SELECT InvoiceId, InvoiceDate, Total FROM Invoice ORDER BY InvoiceDate DESC, InvoiceId DESC LIMIT 5"),
    # beyond the offline synthesizer: it should refuse rather than guess
    ("never_bought_jazz", "Which customers have never bought a jazz track?",
     "SELECT c.CustomerId, c.FirstName, c.LastName FROM Customer c WHERE NOT EXISTS (SELECT 1 FROM Invoice i JOIN InvoiceLine il ON il.InvoiceId = i.InvoiceId JOIN Track t ON t.TrackId = il.TrackId JOIN Genre g ON g.GenreId = t.GenreId WHERE i.CustomerId = c.CustomerId AND g.Name = 'Jazz')"),
    ("usa_revenue_share", "What percentage of revenue comes from the USA?",
     "SELECT 100.0 * SUM(CASE WHEN BillingCountry = 'USA' THEN Total ELSE 0 END) / SUM(Total) FROM Invoice"),
    ("multi_genre_artists", "Which artists have tracks in more than one genre?",
     "SELECT ar.ArtistId, ar.Name FROM Artist ar JOIN Album al ON al.ArtistId = ar.ArtistId JOIN Track t ON t.AlbumId = al.AlbumId GROUP BY ar.ArtistId, ar.Name HAVING COUNT(DISTINCT t.GenreId) > 1"),
    ("avg_tracks_per_album", "What is the average number of tracks per album?",
     "SELECT AVG(n) FROM (SELECT COUNT(*) AS n FROM Track GROUP BY AlbumId) x"),
    ("jane_customers", "Who are the customers whose support rep is Jane Peacock?",
     "SELECT c.CustomerId, c.FirstName, c.LastName FROM Customer c JOIN Employee e ON e.EmployeeId = c.SupportRepId WHERE e.FirstName = 'Jane' AND e.LastName = 'Peacock'"),
    ("revenue_growth", "How much did revenue grow from 2022 to 2023?",
     "SELECT SUM(CASE WHEN InvoiceDate >= '2023-01-01' AND InvoiceDate < '2024-01-01' THEN Total ELSE 0 END) - SUM(CASE WHEN InvoiceDate >= '2022-01-01' AND InvoiceDate < '2023-01-01' THEN Total ELSE 0 END) FROM Invoice"),
]

IDENTS = """Album AlbumId Title Artist ArtistId Name Customer CustomerId FirstName LastName Company Address City
State Country PostalCode Phone Fax Email SupportRepId Employee EmployeeId ReportsTo BirthDate HireDate Genre
GenreId Invoice InvoiceId InvoiceDate BillingAddress BillingCity BillingState BillingCountry BillingPostalCode
Total InvoiceLine InvoiceLineId TrackId UnitPrice Quantity MediaType MediaTypeId Playlist PlaylistId
PlaylistTrack Track Composer Milliseconds Bytes""".split()


def snake(name):
    return re.sub(r"(?<=[a-z])(?=[A-Z])", "_", name).lower()


def render(sql, dialect):
    def datepart(m):
        part, col = m.group(1), m.group(2)
        if dialect == "postgres":
            return f"CAST(EXTRACT({part.upper()} FROM {col}) AS INTEGER)"
        if dialect == "mysql":
            return f"{part.upper()}({col})"
        fmt = "%Y" if part == "year" else "%m"
        return f"CAST(strftime('{fmt}', {col}) AS INTEGER)"
    sql = re.sub(r"\{(year|month):([A-Za-z_.]+)\}", datepart, sql)
    if dialect != "postgres":
        return sql
    # translate identifiers outside string literals
    parts = re.split(r"('(?:[^']|'')*')", sql)
    for i in range(0, len(parts), 2):
        parts[i] = re.sub(r"\b[A-Z][A-Za-z]*\b",
                          lambda m: snake(m.group(0)) if m.group(0) in IDENTS else m.group(0), parts[i])
    return "".join(parts)


here = os.path.dirname(os.path.abspath(__file__))
ids = [c[0] for c in CASES]
assert len(ids) == len(set(ids)), "duplicate ids"
for dialect in ("sqlite", "mysql", "postgres"):
    cases = [{"id": i, "question": q, "gold_sql": render(s, dialect)} for i, q, s in CASES]
    with open(os.path.join(here, f"chinook.{dialect}.json"), "w") as f:
        json.dump({"cases": cases}, f, indent=2, ensure_ascii=False)
        f.write("\n")
print(len(CASES), "cases")
