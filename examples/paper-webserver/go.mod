module example.com/paperwebserver

go 1.24
