% chat: a chat-parser-like parsing benchmark. A small English grammar written as a DCG
% expanded by hand (difference lists, as DCG translation gives), with determiners,
% adjectives, proper nouns, relative clauses and prepositional phrases that attach to
% noun or verb phrases, so sentences are ambiguous and parsing backtracks deeply (as in
% Pereira and Warren's chat-80 parser of the van Roy set). One run finds every parse of six
% sentences. RESULT is [parse counts per sentence, first parse of the first sentence].
% Run: swipl -q -g main -t halt bench/programs/chat.pl
% Prints: RESULT <result>, ITER <n>, TIME <seconds per run>.

sentence(s(NP, VP), S0, S) :- noun_phrase(NP, S0, S1), verb_phrase(VP, S1, S).

noun_phrase(np(D, As, N, Ms), S0, S) :-
    determiner(D, S0, S1), adjectives(As, S1, S2), noun(N, S2, S3), np_mods(Ms, S3, S).
noun_phrase(pn(N), S0, S) :- proper_noun(N, S0, S).

adjectives([A|As], S0, S) :- adjective(A, S0, S1), adjectives(As, S1, S).
adjectives([], S, S).

np_mods([M|Ms], S0, S) :- np_mod(M, S0, S1), np_mods(Ms, S1, S).
np_mods([], S, S).

np_mod(pp(P, NP), S0, S) :- preposition(P, S0, S1), noun_phrase(NP, S1, S).
np_mod(rel(VP), S0, S) :- rel_pronoun(S0, S1), verb_phrase(VP, S1, S).

verb_phrase(vp(V, NP, Ms), S0, S) :- trans_verb(V, S0, S1), noun_phrase(NP, S1, S2), vp_mods(Ms, S2, S).
verb_phrase(vp(V, Ms), S0, S) :- intrans_verb(V, S0, S1), vp_mods(Ms, S1, S).

vp_mods([M|Ms], S0, S) :- vp_mod(M, S0, S1), vp_mods(Ms, S1, S).
vp_mods([], S, S).

vp_mod(pp(P, NP), S0, S) :- preposition(P, S0, S1), noun_phrase(NP, S1, S).

determiner(the, [the|S], S).
determiner(a, [a|S], S).
determiner(every, [every|S], S).
determiner(some, [some|S], S).

adjective(old, [old|S], S).
adjective(young, [young|S], S).
adjective(big, [big|S], S).
adjective(small, [small|S], S).
adjective(red, [red|S], S).

noun(man, [man|S], S).
noun(woman, [woman|S], S).
noun(telescope, [telescope|S], S).
noun(park, [park|S], S).
noun(book, [book|S], S).
noun(library, [library|S], S).
noun(student, [student|S], S).
noun(teacher, [teacher|S], S).
noun(class, [class|S], S).
noun(dog, [dog|S], S).
noun(cat, [cat|S], S).
noun(garden, [garden|S], S).
noun(house, [house|S], S).
noun(river, [river|S], S).
noun(city, [city|S], S).
noun(north, [north|S], S).
noun(country, [country|S], S).
noun(hill, [hill|S], S).

proper_noun(john, [john|S], S).
proper_noun(mary, [mary|S], S).
proper_noun(monday, [monday|S], S).

preposition(with, [with|S], S).
preposition(in, [in|S], S).
preposition(on, [on|S], S).
preposition(to, [to|S], S).
preposition(of, [of|S], S).
preposition(near, [near|S], S).
preposition(through, [through|S], S).

rel_pronoun([who|S], S).
rel_pronoun([that|S], S).

trans_verb(saw, [saw|S], S).
trans_verb(gave, [gave|S], S).
trans_verb(reads, [reads|S], S).
trans_verb(likes, [likes|S], S).
trans_verb(chased, [chased|S], S).
trans_verb(borders, [borders|S], S).

intrans_verb(sleeps, [sleeps|S], S).
intrans_verb(flows, [flows|S], S).
intrans_verb(walked, [walked|S], S).

text(1, [the, old, man, saw, the, young, woman, with, the, telescope, in, the, park]).
text(2, [john, gave, the, red, book, to, mary, in, the, library, on, monday]).
text(3, [every, student, who, reads, a, book, likes, the, teacher, of, the, class]).
text(4, [the, big, dog, that, chased, the, small, cat, sleeps, in, the, garden, near, the, house]).
text(5, [a, river, that, flows, through, the, city, in, the, north, borders, the, country, near, the, hill]).
text(6, [the, man, saw, the, woman, in, the, park, with, the, telescope, near, the, river, on, monday]).

parses(I, N) :- text(I, Words), aggregate_all(count, sentence(_, Words, []), N).

run(Counts) :- findall(N, (between(1, 6, I), parses(I, N)), Counts).

iterations(N) :- getenv('CHAT_ITER', S), atom_number(S, N), !.
iterations(100).

loop(0) :- !.
loop(K) :- run(_), !, K1 is K - 1, loop(K1).

main :-
    iterations(N),
    run(Counts), text(1, W1), sentence(T1, W1, []), !,
    statistics(cputime, T0), loop(N), statistics(cputime, T1b),
    T is (T1b - T0) / N,
    format("RESULT ~w~n", [[Counts, T1]]),
    format("ITER ~d~n", [N]),
    format("TIME ~9f~n", [T]).
