// placeholder so the area library is not empty while it is being written
