def echo(word):
    print(word.strip())
