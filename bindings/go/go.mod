module zkrs.dev/zkrs

go 1.19
